package dev.veil.gateway.contacts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.gateway.graph.ContactMapping;
import ezvcard.VCard;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

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

    /** An Outlook birthday read through Graph is vaulted as it is (the vault refused a date-time BDAY before). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"1980-05-17T00:00:00Z", "1974-07-22T11:59:00Z"})
    void aGraphBirthdaySurvivesTheVaultForm(String birthday) throws Exception {
        ContactMapping v1 = new ContactMapping(ContactMapping.Dialect.V1);
        ObjectNode contact = (ObjectNode) new ObjectMapper().readTree("{\"displayName\":\"Erin\",\"birthday\":\"" + birthday + "\"}");
        VCard card = v1.toVCard(contact);
        VCard back = CardCodec.decode(CardCodec.encode(card));
        assertThat(ContactCorpus.properties(back)).containsExactlyElementsOf(ContactCorpus.properties(card));
        assertThat(v1.toJson(back).path("birthday").asText()).isEqualTo(birthday);
    }
}
