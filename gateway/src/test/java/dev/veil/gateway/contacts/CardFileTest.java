package dev.veil.gateway.contacts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Broken vCards: each broken card is an error naming the file and line; the other cards of the file are still read. */
class CardFileTest {

    @Test
    void aLineWithoutColonMakesItsCardAnErrorAndTheOthersAreRead() throws Exception {
        Path file = broken("middle-card-line-without-colon.vcf");
        List<CardFile.Entry> entries = CardFile.read(file);
        assertThat(entries).hasSize(3);
        assertThat(entries.get(0).ok()).isTrue();
        assertThat(entries.get(0).card().getFormattedName().getValue()).isEqualTo("First Good");
        assertThat(entries.get(1).ok()).isFalse();
        assertThat(entries.get(1).error().getMessage()).contains("card 2 (" + file + ":6)")
                .contains(file + ":10: ").contains("this line has no colon");
        assertThat(entries.get(2).ok()).isTrue();
        assertThat(entries.get(2).card().getFormattedName().getValue()).isEqualTo("Third Good");
    }

    @Test
    void aCardWithoutEndIsAnError() throws Exception {
        Path file = broken("last-card-cut-off.vcf");
        List<CardFile.Entry> entries = CardFile.read(file);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).ok()).isTrue();
        assertThat(entries.get(1).error().getMessage()).contains(file + ":5: card has no END:VCARD");
    }

    @Test
    void bytesThatAreNotTheirCharsetAreAnErrorNotReplacementCharacters() throws Exception {
        Path file = broken("latin1-without-charset.vcf");
        List<CardFile.Entry> entries = CardFile.read(file);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).error().getMessage()).contains(file + ":3: bytes that are not valid UTF-8");
        assertThat(entries.get(1).ok()).as("the same bytes with their CHARSET are fine").isTrue();
        assertThat(entries.get(1).card().getStructuredName().getFamily()).isEqualTo("Müller");
    }

    @Test
    void unknownCharsetsAndUndecodableQuotedPrintableAreErrors() throws Exception {
        Path file = broken("unknown-charset-and-bad-quoted-printable.vcf");
        List<CardFile.Entry> entries = CardFile.read(file);
        assertThat(entries).hasSize(3);
        assertThat(entries.get(0).error().getMessage()).contains(file + ":3: ").contains("X-NO-SUCH-CHARSET");
        assertThat(entries.get(1).error().getMessage()).contains(file + ":8: ").containsIgnoringCase("quoted-printable");
        assertThat(entries.get(2).ok()).isTrue();
    }

    @Test
    void theCorpusShiftJisCardsAreReadInTheirCharset() throws Exception {
        List<CardFile.Entry> entries = CardFile.read(ContactCorpus.dir().resolve("vcard21-shift_jis-multiple-cards.vcf"));
        assertThat(entries).isNotEmpty().allMatch(CardFile.Entry::ok);
        assertThat(entries.get(0).card().getStructuredName().getFamily()).isEqualTo("安藤ロイド3");
    }

    @Test
    void eachCardKeepsItsExactBytesWhateverTheLineBreaks() throws Exception {
        byte[] first = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:One\r\nEND:VCARD\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] second = "BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=SHIFT_JIS:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] name = "安藤".getBytes(java.nio.charset.Charset.forName("Shift_JIS"));
        byte[] rest = ";\r\r\nEND:VCARD".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        file.writeBytes(first);
        file.writeBytes("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)); // a blank line between cards
        file.writeBytes(second);
        file.writeBytes(name);
        file.writeBytes(rest);

        List<CardFile.Entry> entries = CardFile.read("two.vcf", file.toByteArray());

        assertThat(entries).hasSize(2).allMatch(CardFile.Entry::ok);
        assertThat(entries.get(0).original()).isEqualTo(first);
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        expected.writeBytes(second);
        expected.writeBytes(name);
        expected.writeBytes(rest);
        assertThat(entries.get(1).original()).as("no line break after the last END:VCARD").isEqualTo(expected.toByteArray());
        assertThat(entries.get(1).line()).isEqualTo(6);
        assertThat(entries.get(1).card().getStructuredName().getFamily()).isEqualTo("安藤");
    }

    private static Path broken(String name) throws Exception {
        return Path.of(CardFileTest.class.getResource("/contacts-broken/" + name).toURI());
    }
}
