package dev.veil.gateway.contacts;

import static org.assertj.core.api.Assertions.assertThat;

import ezvcard.VCard;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CardCodecTest {

    static Stream<Path> corpus() {
        return ContactCorpus.vcfFiles().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void everyCardSurvivesTheVaultFormAndTextInItsOwnVersion(Path file) throws Exception {
        List<CardFile.Entry> entries = CardFile.read(file);
        assertThat(entries).as("cards read").isNotEmpty();
        for (CardFile.Entry e : entries) {
            if (!e.ok()) {
                System.out.println("rejected: " + e.error().getMessage());
                continue;
            }
            VCard original = e.card();
            VCard back = CardCodec.decode(CardCodec.encode(original));
            assertThat(back.getVersion()).isEqualTo(original.getVersion());
            assertThat(ContactCorpus.properties(back)).as(e.location()).containsExactlyElementsOf(ContactCorpus.properties(original));
        }
    }
}
