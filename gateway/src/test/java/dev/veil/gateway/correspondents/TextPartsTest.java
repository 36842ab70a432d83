package dev.veil.gateway.correspondents;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.crypto.HeaderBlock;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Alias addresses in the text of mail leaving the business, through {@link TextParts} and the restorer. */
class TextPartsTest {
    private static final String BOB_ALIAS = "c-7qf2abcdefghijklmnop@alias.example.net";
    private static final String CAROL_ALIAS = "c-k9zzabcdefghijklmnop@alias.example.net";
    private final MapReidentifier aliases = new MapReidentifier()
            .alias(BOB_ALIAS, "bob@partner.example")
            .alias(CAROL_ALIAS, "carol@other.example");
    private final CorrespondentRestorer restorer = new CorrespondentRestorer(aliases);
    /** The message's envelope recipients, for {@link #body} and {@link #whole}. */
    private List<String> recipients = List.of("Bob@Partner.example");

    /** What the step writes after the header, for a message to bob only; counts[0]: parts changed. */
    private String body(String message, int[] counts) throws Exception {
        String whole = whole(message, counts);
        return whole.substring(whole.indexOf("\r\n\r\n") + 4);
    }

    /** The whole message as the step writes it (header as it came, but for its transfer encoding). */
    private String whole(String message, int[] counts) throws Exception {
        byte[] bytes = message.getBytes(StandardCharsets.ISO_8859_1);
        InputStream in = new ByteArrayInputStream(bytes);
        HeaderBlock header = HeaderBlock.read(in);
        byte[] consumed = header.consumed();
        InputStream body = new java.io.SequenceInputStream(new ByteArrayInputStream(consumed, header.bodyOffset(),
                consumed.length - header.bodyOffset()), in);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        counts[0] = TextParts.copy(header, java.util.Arrays.copyOf(consumed, header.bodyOffset()), body, out,
                (text, html) -> restorer.restoreText(text, () -> recipients, html).text());
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private String body(String message) throws Exception {
        return body(message, new int[1]);
    }

    @Test
    void aPlainReplyQuotingTheAliasShowsTheRealAddressOfItsRecipientOnly() throws Exception {
        int[] changed = new int[1];
        String out = body("From: alice@example.com\r\nTo: " + BOB_ALIAS + "\r\n\r\n"
                + "Thanks.\r\n\r\nFrom: Correspondent 7QF2 <" + BOB_ALIAS.toUpperCase() + ">\r\n"
                + "Cc: " + CAROL_ALIAS + "\r\nSent: today\r\n> write to " + BOB_ALIAS + ".\r\n", changed);
        assertThat(out).isEqualTo("Thanks.\r\n\r\nFrom: Correspondent 7QF2 <bob@partner.example>\r\n"
                + "Cc: " + CAROL_ALIAS + "\r\nSent: today\r\n> write to bob@partner.example.\r\n");
        assertThat(changed[0]).isEqualTo(1);
    }

    /** A black-box probe: o'brien@… written into href='mailto:…' ended the attribute at its apostrophe. */
    @Test
    void inHtmlARestoredAddressIsWrittenAsHtmlTextInPlainTextAsItIs() throws Exception {
        String dora = "c-d0raabcdefghijklmnop@alias.example.net";
        aliases.alias(dora, "o'brien&co@partner.example");
        recipients = List.of("o'brien&co@partner.example");
        String message = "Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
                + "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTo: " + dora + "\r\n"
                + "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<a href='mailto:" + dora + "'>" + dora
                + "</a> <a href=\"https://t.example/?u=" + dora + "\">x</a> '" + BOB_ALIAS + "'\r\n--b--\r\n";
        assertThat(body(message)).isEqualTo("--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                + "To: o'brien&co@partner.example\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                + "<a href='mailto:o&#39;brien&amp;co@partner.example'>o&#39;brien&amp;co@partner.example</a> "
                + "<a href=\"https://t.example/?u=o&#39;brien&amp;co@partner.example\">x</a> '"
                + BOB_ALIAS + "'\r\n--b--\r\n");
        recipients = List.of("o'brien&co@partner.example", "bob@partner.example");
        assertThat(body(message)).as("Outlook's apostrophes around a typed address stay as the text wrote them")
                .contains("x</a> 'bob@partner.example'\r\n");
        assertThat(CorrespondentRestorer.htmlText("''o'b@x.example")).isEqualTo("''o&#39;b@x.example");
    }

    @Test
    void textWithoutAnAliasAndEveryOtherPartLeaveByteForByte() throws Exception {
        String message = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\npreamble " + BOB_ALIAS + "\r\n"
                + "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nno alias here, only dora@elsewhere.example\r\n"
                + "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\n"
                + BOB_ALIAS + "\r\n"
                + "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + Base64.getMimeEncoder().encodeToString(BOB_ALIAS.getBytes(StandardCharsets.US_ASCII)) + "\r\n"
                + "--b\r\nContent-Type: text/plain; charset=utf-16\r\n\r\n" + BOB_ALIAS + "\r\n"
                + "--b--\r\nepilogue " + BOB_ALIAS + "\r\n";
        int[] changed = new int[1];
        assertThat(body(message, changed)).isEqualTo(message.substring(message.indexOf("\r\n\r\n") + 4));
        assertThat(changed[0]).isZero();
    }

    @Test
    void quotedPrintableAndBase64PartsAreDecodedRestoredAndEncodedAgain() throws Exception {
        String html = "<p>On Monday <a href=\"mailto:" + BOB_ALIAS + "\">Correspondent 7QF2</a> wrote:</p>\r\n"
                + "<blockquote>caf\u00e9 " + "x".repeat(100) + "</blockquote>\r\n";
        String message = "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
                + "--outer\r\nContent-Type: multipart/alternative; boundary=\"outer1\"\r\n\r\n"
                + "--outer1\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                + "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                // the alias split by a soft line break, as a QP encoder may write it
                + "caf=E9: write to c-7qf2abcdefghij=\r\nklmnop@alias.example.net =3D bob\r\n"
                + "--outer1\r\nContent-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: BASE64\r\n\r\n"
                + Base64.getMimeEncoder().encodeToString(html.getBytes(StandardCharsets.UTF_8)) + "\r\n"
                + "--outer1--\r\n"
                + "--outer\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
                + "--outer--\r\n";
        int[] changed = new int[1];
        String out = body(message, changed);
        assertThat(changed[0]).isEqualTo(2);
        assertThat(out).doesNotContain("alias.example.net").contains("iVBORw0KGgo=\r\n--outer--\r\n");

        MimeMessage parsed = new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(("Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n" + out)
                        .getBytes(StandardCharsets.ISO_8859_1)));
        Multipart mixed = (Multipart) parsed.getContent();
        Multipart alternative = (Multipart) mixed.getBodyPart(0).getContent();
        assertThat(alternative.getBodyPart(0).getContent()).isEqualTo("caf\u00e9: write to bob@partner.example = bob");
        assertThat(alternative.getBodyPart(1).getContent())
                .isEqualTo(html.replace(BOB_ALIAS, "bob@partner.example"));
        BodyPart image = mixed.getBodyPart(1);
        assertThat(image.getInputStream().readAllBytes()).hasSize(8);
    }

    @Test
    void aBoundaryThatBeginsAnotherAndAMissingCloseDelimiterAreFollowed() throws Exception {
        String message = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
                + "--b\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n"
                + "--b1\r\nContent-Type: text/plain\r\n\r\nto " + BOB_ALIAS + "\r\n"
                + "--b\r\nContent-Type: text/plain\r\n\r\nagain " + BOB_ALIAS + "\r\n";
        String out = body(message);
        assertThat(out).isEqualTo("--b\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n"
                + "--b1\r\nContent-Type: text/plain\r\n\r\nto bob@partner.example\r\n"
                + "--b\r\nContent-Type: text/plain\r\n\r\nagain bob@partner.example\r\n");
    }

    /** A user's S/MIME or PGP/MIME signature covers the text: it stays byte for byte, also nested in a mixed part. */
    @Test
    void signedContentStaysByteForByte() throws Exception {
        String signed = "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;"
                + " boundary=\"s\"\r\n\r\n--s\r\nContent-Type: text/plain\r\n\r\nsee " + BOB_ALIAS + "\r\n"
                + "--s\r\nContent-Type: application/pkcs7-signature\r\n\r\nMIIB\r\n--s--\r\n";
        assertThat(body(signed)).isEqualTo(signed.substring(signed.indexOf("\r\n\r\n") + 4));
        String mixed = "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n" + signed
                + "--m\r\nContent-Type: text/plain\r\n\r\nsee " + BOB_ALIAS + "\r\n--m--\r\n";
        assertThat(body(mixed)).isEqualTo("--m\r\n" + signed
                + "--m\r\nContent-Type: text/plain\r\n\r\nsee bob@partner.example\r\n--m--\r\n");
        String encrypted = "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e"
                + "\r\n\r\n--e\r\nContent-Type: text/plain\r\n\r\n" + BOB_ALIAS + "\r\n--e--\r\n";
        assertThat(body(encrypted)).isEqualTo(encrypted.substring(encrypted.indexOf("\r\n\r\n") + 4));
    }

    @Test
    void aMessageWithoutContentTypeIsPlainTextAndBareLineFeedsStay() throws Exception {
        int[] counts = new int[1];
        assertThat(whole("To: x@example.com\n\nsee " + BOB_ALIAS + "\nbye\n", counts))
                .isEqualTo("To: x@example.com\n\nsee bob@partner.example\nbye\n");
    }

    /**
     * A restored address that makes a 7bit or 8bit line longer than 998 octets sends the part as quoted-printable
     * (a probe's 1,387-octet line went out as it was); its text reads the same.
     */
    @Test
    void aLineMadeTooLongGoesAsQuotedPrintable() throws Exception {
        String longReal = "averyveryverylongname" + "x".repeat(80) + "@partner.example";
        aliases.alias(BOB_ALIAS, longReal);
        String line = ("y".repeat(60) + " " + BOB_ALIAS + " ").repeat(10); // 990 octets
        String part = "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n<p>" + line
                + "</p>\r\n";
        String message = "Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\n" + part + "--a--\r\n";
        TextParts.TextRewriter everyone = (text, html) -> restorer.restoreText(text, null, html).text();
        for (String input : List.of(message, "MIME-Version: 1.0\r\n" + part)) {
            byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
            HeaderBlock header = HeaderBlock.parse(bytes);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            TextParts.copy(header, java.util.Arrays.copyOf(bytes, header.bodyOffset()), new ByteArrayInputStream(bytes,
                    header.bodyOffset(), bytes.length - header.bodyOffset()), out, everyone);
            String written = out.toString(StandardCharsets.ISO_8859_1);
            assertThat(written.lines().mapToInt(String::length).max().orElseThrow()).as(written).isLessThanOrEqualTo(998);
            assertThat(written).contains("Content-Transfer-Encoding: quoted-printable\r\n")
                    .doesNotContain("Content-Transfer-Encoding: 7bit");
            MimeMessage parsed = new MimeMessage(Session.getInstance(new Properties()),
                    new ByteArrayInputStream(out.toByteArray()));
            Object content = parsed.getContent();
            String html = content instanceof Multipart alternative ? (String) alternative.getBodyPart(0).getContent()
                    : (String) content;
            assertThat(html).startsWith("<p>" + line.replace(BOB_ALIAS, longReal) + "</p>");
        }
    }

    /**
     * Quoted-printable as Veil writes it decodes to the same octets, keeps lines to 76 characters, and never begins a
     * line with "-" or ".": a probe's re-encoded part had a soft line break right before "--BB", its own multipart's
     * delimiter, and readers split the part there.
     */
    @Test
    void quotedPrintableDecodesToTheSameOctetsAndNoLineBeginsWithADashOrDot() throws Exception {
        java.util.Random random = new java.util.Random(7);
        byte[] alphabet = "-.= \t\r\nab\u00e9\u0000".getBytes(StandardCharsets.ISO_8859_1);
        for (int n = 0; n < 2000; n++) {
            byte[] text = new byte[random.nextInt(400)];
            for (int i = 0; i < text.length; i++) {
                text[i] = random.nextInt(4) == 0 ? (byte) random.nextInt(256) : alphabet[random.nextInt(alphabet.length)];
            }
            byte[] encoded = TextParts.QuotedPrintable.encode(text);
            String written = new String(encoded, StandardCharsets.ISO_8859_1);
            for (String line : written.split("\r\n", -1)) {
                assertThat(line.length()).as(written).isLessThanOrEqualTo(76);
                assertThat(line).as(written).doesNotStartWith("-").doesNotStartWith(".");
                assertThat(line).as(written).doesNotContain("\r").doesNotContain("\n");
                assertThat(line.chars().allMatch(c -> c >= 32 && c < 127 || c == '\t')).as(written).isTrue();
                assertThat(line).as(written).doesNotEndWith(" ").doesNotEndWith("\t");
            }
            assertThat(jakarta.mail.internet.MimeUtility.decode(new ByteArrayInputStream(encoded), "quoted-printable")
                    .readAllBytes()).isEqualTo(text);
        }
    }

    /** The probe's case: a line made too long, and "--BB" where the encoder's soft break would fall. */
    @Test
    void aPartMadeQuotedPrintableDoesNotSplitItsMultipart() throws Exception {
        String longReal = "l".repeat(64) + "@" + "d".repeat(60) + "." + "d".repeat(60) + ".example";
        aliases.alias(BOB_ALIAS, longReal);
        recipients = List.of(longReal);
        String first = "y".repeat(900) + " " + BOB_ALIAS + "\r\n" + "x".repeat(75) + "--BB\r\nafter";
        String message = "Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\nContent-Type: text/plain\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n\r\n" + first + "\r\n--BB\r\nContent-Type: text/plain\r\n\r\n"
                + "second part\r\n--BB--\r\n";
        String out = body(message);
        MimeMessage parsed = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(
                ("Content-Type: multipart/mixed; boundary=BB\r\n\r\n" + out).getBytes(StandardCharsets.ISO_8859_1)));
        Multipart mixed = (Multipart) parsed.getContent();
        assertThat(mixed.getCount()).isEqualTo(2);
        assertThat(mixed.getBodyPart(0).getContent()).isEqualTo(first.replace(BOB_ALIAS, longReal));
        assertThat(mixed.getBodyPart(1).getContent()).isEqualTo("second part");
        assertThat(out.lines().filter(l -> l.startsWith("--BB")).count()).isEqualTo(3);
    }

    /**
     * A whole message of one text part that must go as quoted-printable gets MIME-Version too; binary text does the
     * same (no relay of Veil's offers BINARYMIME); a transfer encoding with a comment is read (RFC 2045 6.1).
     */
    @Test
    void aWholeMessageMadeQuotedPrintableGetsMimeVersionAndBinaryAndCommentedEncodingsAreRead() throws Exception {
        String longReal = "l".repeat(64) + "@" + "d".repeat(60) + "." + "d".repeat(60) + ".example";
        aliases.alias(BOB_ALIAS, longReal);
        recipients = List.of(longReal);
        String line = "y".repeat(850) + " " + BOB_ALIAS;
        for (String header : List.of("From: alice@example.com\r\n", "MIME-Version: 1.0\r\nContent-Transfer-Encoding: binary\r\n",
                "MIME-Version: 1.0\r\nContent-Transfer-Encoding: 7BIT (plain)\r\n")) {
            String out = whole(header + "\r\nhello\r\n" + line + "\r\nbye\r\n", new int[1]);
            assertThat(out).as(header).contains("MIME-Version: 1.0\r\n").contains("Content-Transfer-Encoding: quoted-printable\r\n")
                    .doesNotContain("binary").doesNotContain("7BIT");
            assertThat(out.lines().mapToInt(String::length).max().orElseThrow()).isLessThanOrEqualTo(76);
            MimeMessage parsed = new MimeMessage(Session.getInstance(new Properties()),
                    new ByteArrayInputStream(out.getBytes(StandardCharsets.ISO_8859_1)));
            assertThat(parsed.getContent()).isEqualTo("hello\r\n" + line.replace(BOB_ALIAS, longReal) + "\r\nbye\r\n");
        }
    }

    /** Any of two Content-Disposition fields naming a file makes the part a file. */
    @Test
    void aSecondDispositionNamingAFileMakesThePartAFile() throws Exception {
        String message = "Content-Type: text/plain\r\nContent-Disposition: inline\r\nContent-Disposition: attachment\r\n"
                + "\r\nhi " + BOB_ALIAS + "\r\n";
        assertThat(body(message)).isEqualTo("hi " + BOB_ALIAS + "\r\n");
    }

    /** Text of nearly 4 MiB in base64 (over 4 MiB encoded) is restored: the limit is on the text. */
    @Test
    void theSizeLimitIsOnTheTextNotItsEncoding() throws Exception {
        String text = "z".repeat(3_500_000) + " " + BOB_ALIAS + "\r\n";
        String message = "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + Base64.getMimeEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII)) + "\r\n";
        String out = body(message);
        assertThat(new String(Base64.getMimeDecoder().decode(out.strip()), StandardCharsets.US_ASCII))
                .isEqualTo(text.replace(BOB_ALIAS, "bob@partner.example"));
    }

    /**
     * Characters outside ASCII glued to an alias (Outlook's curly apostrophes, a no-break space, guillemets, in UTF-8)
     * and a "=" before it at the start of a line do not hide it.
     */
    @Test
    void anAliasGluedToNonAsciiQuotesOrAfterAnEqualsSignIsRestored() throws Exception {
        String text = "\u2018" + BOB_ALIAS + "\u2019 \u00a0" + BOB_ALIAS + "\u00a0 \u00ab" + BOB_ALIAS + "\u00bb\r\n="
                + BOB_ALIAS + "\r\n";
        String message = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        String out = new String(body(message).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        assertThat(out).isEqualTo(text.replace(BOB_ALIAS, "bob@partner.example"));
    }

    /** Text under an inline PGP signature stays byte for byte: the signature covers it. */
    @Test
    void aClearSignedTextStays() throws Exception {
        String message = "Content-Type: text/plain; charset=utf-8\r\n\r\n-----BEGIN PGP SIGNED MESSAGE-----\r\n"
                + "Hash: SHA256\r\n\r\nOn Thu, Correspondent 7QF2 <" + BOB_ALIAS + "> wrote:\r\n"
                + "-----BEGIN PGP SIGNATURE-----\r\n\r\niQEz\r\n-----END PGP SIGNATURE-----\r\n";
        int[] changed = new int[1];
        assertThat(body(message, changed)).isEqualTo(message.substring(message.indexOf("\r\n\r\n") + 4));
        assertThat(changed[0]).isZero();
    }

    /** A text part with a file name is a file, shown inline or not (Apple Mail's attached text files): it stays. */
    @Test
    void aTextPartWithAFileNameStays() throws Exception {
        String message = "Content-Type: multipart/mixed; boundary=m\r\n\r\n"
                + "--m\r\nContent-Type: text/plain\r\nContent-Disposition: inline; filename=\"inl.txt\"\r\n\r\n"
                + BOB_ALIAS + "\r\n--m\r\nContent-Type: text/plain; charset=us-ascii; name=\"notes.txt\"\r\n\r\n"
                + BOB_ALIAS + "\r\n--m\r\nContent-Type: text/plain\r\nContent-Disposition: inline\r\n\r\n"
                + BOB_ALIAS + "\r\n--m--\r\n";
        assertThat(body(message)).isEqualTo(message.substring(message.indexOf("\r\n\r\n") + 4)
                .replace("inline\r\n\r\n" + BOB_ALIAS, "inline\r\n\r\nbob@partner.example"));
    }

    /**
     * Finding the addresses takes time in proportion to the text: an @ before a long run of characters a local part
     * may hold (a data: image in HTML) took a worker minutes, the run scanned again from every start (a probe's 400
     * KB image, 21 minutes). Here 2 MB runs, with an alias between them: the scan that backtracked would take hours,
     * and the build's test timeout would fail it.
     */
    @Test
    void aLongRunOfAddressCharactersAfterAnAtIsScannedOnce() throws Exception {
        String run = "A".repeat(2_000_000);
        byte[] text = ("a@b " + run + " " + BOB_ALIAS + " " + run + "@").getBytes(StandardCharsets.US_ASCII);
        CorrespondentRestorer.RestoredText restored = restorer.restoreText(text, null);
        assertThat(restored.addresses()).isEqualTo(1);
        assertThat(new String(restored.text(), StandardCharsets.US_ASCII)).endsWith(" bob@partner.example " + run + "@");
    }

    /** Outlook's apostrophes around a typed address, and a link's query glued to the alias. */
    @Test
    void anAliasInApostrophesOrAfterALinksQueryIsRestored() throws Exception {
        assertThat(body("To: x@example.com\r\n\r\n'" + BOB_ALIAS + "' https://example.org/?u=" + BOB_ALIAS
                + "&x=1 x=" + CAROL_ALIAS + "\r\n"))
                .isEqualTo("'bob@partner.example' https://example.org/?u=bob@partner.example&x=1 x=" + CAROL_ALIAS
                        + "\r\n");
    }

    @Test
    void anAliasWhoseRealAddressIsNotAsciiStays() throws Exception {
        aliases.alias(BOB_ALIAS, "b\u00f6b@partner.example");
        CorrespondentRestorer.RestoredText text = restorer.restoreText(("see " + BOB_ALIAS)
                .getBytes(StandardCharsets.US_ASCII), null);
        assertThat(new String(text.text(), StandardCharsets.US_ASCII)).isEqualTo("see " + BOB_ALIAS);
        assertThat(text.unresolved()).isEqualTo(1);
    }

    @Test
    void aLongLineIsCopiedInPiecesWithoutLosingAnOctet() throws Exception {
        String longLine = "y".repeat(20_000) + " " + BOB_ALIAS + " " + "z".repeat(20_000) + "\r\n";
        String message = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
                + longLine + "--b\r\nContent-Type: application/octet-stream\r\n\r\n" + longLine + "--b--\r\n";
        String out = body(message);
        // the file's line as it came; the text restored, and sent as quoted-printable (its line was too long already)
        assertThat(out).endsWith("--b\r\nContent-Type: application/octet-stream\r\n\r\n" + longLine + "--b--\r\n");
        MimeMessage parsed = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(
                ("Content-Type: multipart/mixed; boundary=b\r\n\r\n" + out).getBytes(StandardCharsets.ISO_8859_1)));
        BodyPart text = ((Multipart) parsed.getContent()).getBodyPart(0);
        assertThat(text.getHeader("Content-Transfer-Encoding")).containsExactly("quoted-printable");
        assertThat(text.getContent()).isEqualTo(longLine.replace(BOB_ALIAS, "bob@partner.example").strip());
    }
    /**
     * An invitation sent from Outlook names its attendees by the aliases Exchange knows, folded at 75 octets
     * mid-address: the attendee's calendar program could not find itself on the list (a black-box probe). Restored
     * over the unfolded lines and folded again; a calendar file attached stays as it is.
     */
    @Test
    void aCalendarPartsAttendeesAreRestoredAcrossItsFoldedLines() throws Exception {
        recipients = List.of("bob@partner.example", "carol@other.example");
        String attendee = "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Correspondent QXYR:mailto:"
                + BOB_ALIAS;
        int split = attendee.indexOf(BOB_ALIAS) + 5; // Outlook folds wherever 75 octets end, mid-address too
        String folded = attendee.substring(0, split) + "\r\n " + attendee.substring(split);
        String calendar = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
                + "ORGANIZER;CN=Alice:mailto:alice@example.com\r\n" + folded + "\r\n"
                + "ATTENDEE;CN=Carol:mailto:" + CAROL_ALIAS + "\r\n"
                + "SUMMARY:Caf\u00c3\u00a9 meeting about the plan with a summary long enough to fold in the middle of \u00c3\u00a9\u00c3\u00a9\u00c3\u00a9\r\n"
                + "END:VEVENT\r\nEND:VCALENDAR\r\n";
        String base64 = java.util.Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(calendar.getBytes(StandardCharsets.ISO_8859_1)) + "\r\n";
        String message = "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
                + "--b1\r\nContent-Type: text/plain\r\n\r\nThe plan\r\n"
                + "--b1\r\nContent-Type: text/calendar; charset=\"utf-8\"; method=REQUEST\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + base64
                + "--b1\r\nContent-Type: application/ics; name=\"invite.ics\"\r\n"
                + "Content-Disposition: attachment; filename=\"invite.ics\"\r\n\r\n" + folded + "\r\n"
                + "--b1--\r\n";
        int[] counts = new int[1];
        String out = body(message, counts);

        assertThat(counts[0]).isEqualTo(1);
        String part = out.substring(out.indexOf("base64\r\n\r\n") + 10, out.indexOf("--b1\r\nContent-Type: application/ics"));
        String restored = new String(java.util.Base64.getMimeDecoder().decode(part.strip()), StandardCharsets.ISO_8859_1);
        String unfolded = restored.replaceAll("\r\n[ \t]", "");
        assertThat(unfolded).contains("CN=Correspondent QXYR:mailto:bob@partner.example\r\n",
                "ATTENDEE;CN=Carol:mailto:carol@other.example\r\n",
                "ORGANIZER;CN=Alice:mailto:alice@example.com\r\n");
        assertThat(unfolded).isEqualTo(calendar.replace(folded, attendee).replace(BOB_ALIAS, "bob@partner.example")
                .replace(CAROL_ALIAS, "carol@other.example"));
        for (String line : restored.split("\r\n")) {
            assertThat(line.length()).as(line).isLessThanOrEqualTo(75);
            // never split inside a UTF-8 character: no line starts with a continuation octet
            assertThat(line.isEmpty() || line.charAt(0) < 0x80 || line.charAt(0) >= 0xC0).as(line).isTrue();
        }
        assertThat(out).contains("filename=\"invite.ics\"\r\n\r\n" + folded + "\r\n--b1--");
    }

    @Test
    void aCalendarPartWithoutAnAliasIsCopiedAsItWasFoldingAndAll() throws Exception {
        String calendar = "BEGIN:VCALENDAR\r\nATTENDEE;CN=Someone:mailto:someone@\r\n elsewhere.example\r\n"
                + "END:VCALENDAR\r\n";
        String message = "Content-Type: text/calendar; method=REQUEST\r\n\r\n" + calendar;
        int[] counts = new int[1];
        assertThat(body(message, counts)).isEqualTo(calendar);
        assertThat(counts[0]).isZero();
    }
    @Test
    void aCalendarWithBareLineFeedsIsFoldedWithBareLineFeeds() throws Exception {
        recipients = List.of("bob@partner.example");
        String calendar = "BEGIN:VCALENDAR\nATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Someone:mailto:"
                + BOB_ALIAS.substring(0, 10) + "\n " + BOB_ALIAS.substring(10) + "\nEND:VCALENDAR\n";
        String base64 = java.util.Base64.getMimeEncoder().encodeToString(calendar.getBytes(StandardCharsets.US_ASCII));
        String message = "Content-Type: text/calendar; method=REQUEST\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + base64 + "\r\n";
        String out = new String(java.util.Base64.getMimeDecoder().decode(body(message).strip()),
                StandardCharsets.US_ASCII);

        assertThat(out).doesNotContain("\r").contains("\n ");
        assertThat(out.replace("\n ", "")).isEqualTo(calendar.replace("\n ", "").replace(BOB_ALIAS,
                "bob@partner.example"));
    }
}
