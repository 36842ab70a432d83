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

    /**
     * A card whose END:VCARD is missing ends where the next card begins: the cards after it are read (a black-box
     * probe's two good cards after such a card were taken in as nested cards and lost, unreported). Cards nested in a
     * card that ends (a vCard 2.1 AGENT, or without one) are still part of it.
     */
    @Test
    void aCardWithoutEndInTheMiddleLeavesTheCardsAfterIt() throws Exception {
        String text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Eve\r\nEND:VCARD\r\n"
                + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Frank\r\n"
                + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Gina\r\nEND:VCARD\r\n"
                + "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Hank\r\nAGENT:\r\nBEGIN:VCARD\r\nVERSION:2.1\r\nFN:Assistant\r\n"
                + "END:VCARD\r\nTEL:+1 555 0100\r\nEND:VCARD\r\n"
                + "BEGIN:VCARD\r\nVERSION:2.1\r\nN:parent\r\nBEGIN:VCARD\r\nVERSION:2.1\r\nN:nest1\r\nEND:VCARD\r\n"
                + "TEL:1\r\nEND:VCARD\r\n";
        List<CardFile.Entry> entries = CardFile.read("cards.vcf", text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(entries).extracting(CardFile.Entry::ok).containsExactly(true, false, true, true, true);
        assertThat(entries.get(1).error().getMessage()).contains("card 2 (cards.vcf:5)")
                .contains("cards.vcf:5: card has no END:VCARD");
        assertThat(entries.get(2).card().getFormattedName().getValue()).isEqualTo("Gina");
        assertThat(entries.get(2).line()).isEqualTo(8);
        assertThat(entries.get(3).card().getFormattedName().getValue()).isEqualTo("Hank");
        assertThat(entries.get(3).card().getAgent().getVCard().getFormattedName().getValue()).isEqualTo("Assistant");
        assertThat(entries.get(3).card().getTelephoneNumbers()).hasSize(1);
        // a card nested without an AGENT (as some writers do) in a card that ends is part of it, as before
        assertThat(entries.get(4).card().getStructuredName().getFamily()).isEqualTo("parent");
        assertThat(entries.get(4).card().getTelephoneNumbers()).hasSize(1);
    }

    @Test
    void aLineWithoutCharsetThatIsNotUtf8IsReadAsWindows1252() throws Exception {
        Path file = broken("latin1-without-charset.vcf");
        List<CardFile.Entry> entries = CardFile.read(file);
        assertThat(entries).hasSize(2).allMatch(CardFile.Entry::ok);
        assertThat(entries.get(0).card().getStructuredName().getFamily()).isEqualTo("Müller");
        assertThat(entries.get(1).card().getStructuredName().getFamily()).isEqualTo("Müller");
    }

    @Test
    void bytesThatAreNeitherUtf8NorWindows1252AreAnErrorNotReplacementCharacters() throws Exception {
        // 0x81 is not a windows-1252 character, and not UTF-8 on its own
        byte[] card = bytes("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\u0081B\r\nEND:VCARD\r\n");
        List<CardFile.Entry> entries = CardFile.read("odd.vcf", card);
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).error().getMessage()).contains("odd.vcf:3: bytes that are not valid UTF-8");
    }

    @Test
    void aUtf8ByteOrderMarkIsSkippedAndUtf16IsRefusedSayingSo() throws Exception {
        byte[] card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë\r\nEND:VCARD\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] withBom = new byte[card.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(card, 0, withBom, 3, card.length);
        List<CardFile.Entry> entries = CardFile.read("bom.vcf", withBom);
        assertThat(entries).hasSize(1).allMatch(CardFile.Entry::ok);
        assertThat(entries.get(0).card().getFormattedName().getValue()).isEqualTo("Zoë");
        assertThat(entries.get(0).original()).isEqualTo(card);

        byte[] utf16 = "\uFEFFBEGIN:VCARD\r\nFN:Zoë\r\nEND:VCARD\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_16BE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CardFile.read("utf16.vcf", utf16))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("UTF-16").hasMessageContaining("UTF-8");
    }

    @Test
    void aUtf8CharacterAFoldSplitIsPutBackTogether() throws Exception {
        // "Café" folded between the two bytes of é (RFC 6350 3.2: unfolding should restore it), CRLF and LF files
        for (String end : new String[] {"\r\n", "\n"}) {
            java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
            file.writeBytes(("BEGIN:VCARD" + end + "VERSION:4.0" + end + "FN:X" + end + "NOTE:Caf").getBytes(
                    java.nio.charset.StandardCharsets.US_ASCII));
            file.write(0xC3);
            file.writeBytes((end + " ").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            file.write(0xA9);
            file.writeBytes((" au lait" + end + "END:VCARD" + end).getBytes(java.nio.charset.StandardCharsets.US_ASCII));

            List<CardFile.Entry> entries = CardFile.read("fold.vcf", file.toByteArray());

            assertThat(entries).hasSize(1).allMatch(CardFile.Entry::ok);
            assertThat(entries.get(0).card().getNotes().get(0).getValue()).isEqualTo("Café au lait");
            assertThat(entries.get(0).original()).isEqualTo(file.toByteArray());
        }
    }

    private static byte[] bytes(String latin1) {
        return latin1.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
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
