package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeaderBlockTest {

    @Test
    void readsFieldsAndFindsTheBodyAfterTheBlankLine() {
        HeaderBlock header = HeaderBlock.parse(bytes("From: a@example.com\r\nTo: b@example.com,\r\n c@example.com\r\n\r\nbody\r\n"));

        assertThat(header.fields()).extracting(HeaderField::name).containsExactly("From", "To");
        assertThat(header.first("to").orElseThrow().value()).isEqualTo("b@example.com, c@example.com");
        assertThat(new String(header.first("TO").orElseThrow().raw(), StandardCharsets.US_ASCII))
                .isEqualTo("To: b@example.com,\r\n c@example.com\r\n");
        assertThat(text(header.consumed()).substring(header.bodyOffset())).isEqualTo("");
    }

    /** RFC 5322 4.5's obsolete white space before the colon: read, and written without it on request. */
    @Test
    void aFieldWithSpaceBeforeItsColonCanBeWrittenWithout() {
        HeaderBlock header = HeaderBlock.parse(bytes("From : a@x\r\nSubject\t \t: s:t\r\n more\r\nTo: b@x\r\n\r\n"));

        assertThat(header.fields()).extracting(HeaderField::name).containsExactly("From", "Subject", "To");
        assertThat(header.fields()).extracting(HeaderField::spaceBeforeColon).containsExactly(true, true, false);
        assertThat(text(header.fields().get(0).withoutSpaceBeforeColon())).isEqualTo("From: a@x\r\n");
        assertThat(text(header.fields().get(1).withoutSpaceBeforeColon())).isEqualTo("Subject: s:t\r\n more\r\n");
        assertThat(text(header.fields().get(2).withoutSpaceBeforeColon())).isEqualTo("To: b@x\r\n");
        assertThat(header.fields().get(0).value()).isEqualTo("a@x");
    }

    @Test
    void acceptsBareLineFeedsAndBareCarriageReturns() {
        HeaderBlock header = HeaderBlock.parse(bytes("From: a@x\nSubject: s\rTo: b@x\n\nbody"));

        assertThat(header.fields()).extracting(HeaderField::name).containsExactly("From", "Subject", "To");
        assertThat(header.first("Subject").orElseThrow().raw()).isEqualTo(bytes("Subject: s\r"));
    }

    @Test
    void endsTheHeaderWithoutBlankLineAtTheFirstLineThatIsNoField() {
        HeaderBlock header = HeaderBlock.parse(bytes("From: a@x\r\nthis is body text\r\nmore\r\n"));

        assertThat(header.fields()).extracting(HeaderField::name).containsExactly("From");
        assertThat(header.bodyOffset()).isEqualTo("From: a@x\r\n".length());
    }

    @Test
    void takesAMessageThatIsAllHeaderWithoutLineEnd() {
        HeaderBlock header = HeaderBlock.parse(bytes("From: a@x\r\nTo: b@x"));

        assertThat(header.fields()).extracting(HeaderField::value).containsExactly("a@x", "b@x");
        assertThat(header.bodyOffset()).isEqualTo(header.consumed().length);
    }

    @Test
    void skipsAByteOrderMarkAndAnMboxFromLine() {
        HeaderBlock header = HeaderBlock.parse(bytes("\uFEFFFrom someone@x Mon Jan  1 00:00:00 2024\nFrom: a@x\n\n"));

        assertThat(header.fields()).extracting(HeaderField::name).containsExactly("From");
        assertThat(header.first("From").orElseThrow().raw()).isEqualTo(bytes("From: a@x\n"));
    }

    @Test
    void aFirstLineFromWithSpaceBeforeTheColonIsAFieldNotAnMboxLine() {
        HeaderBlock header = HeaderBlock.parse(bytes("From : bob@x\r\nTo: a@x\r\n\r\nbody"));

        assertThat(header.fields()).extracting(HeaderField::name).containsExactly("From", "To");
        assertThat(header.first("from").orElseThrow().value()).isEqualTo("bob@x");
        assertThat(header.complete()).isTrue();
    }

    @Test
    void saysWhetherTheHeaderEndedAtABlankLineOrTheEndOrWasCutShort() {
        assertThat(HeaderBlock.parse(bytes("A: 1\r\n\r\nbody")).complete()).isTrue();
        assertThat(HeaderBlock.parse(bytes("A: 1\r\nB: 2")).complete()).isTrue();
        assertThat(HeaderBlock.parse(bytes("")).complete()).isTrue();
        // a line that is no field: the body starts there, but more header may follow it
        assertThat(HeaderBlock.parse(bytes("A: 1\r\nno field here\r\nFrom: b@x\r\n\r\n")).complete()).isFalse();
        assertThat(HeaderBlock.parse(bytes(" folded first\r\nFrom: b@x\r\n\r\n")).complete()).isFalse();
        StringBuilder huge = new StringBuilder();
        while (huge.length() <= HeaderBlock.MAX_BYTES) {
            huge.append("X-Pad: ").append("a".repeat(1000)).append("\r\n");
        }
        assertThat(HeaderBlock.parse(bytes(huge + "From: b@x\r\n\r\n")).complete()).isFalse();
        assertThat(HeaderBlock.parse(bytes(huge + "From: b@x\r\n\r\n")).overLimit()).isTrue();
        // only the limit counts as over it: a line that is no field, or a long body, does not
        assertThat(HeaderBlock.parse(bytes("A: 1\r\nno field here\r\n" + huge)).overLimit()).isFalse();
        assertThat(HeaderBlock.parse(bytes("A: 1\r\n\r\n" + huge)).overLimit()).isFalse();
        assertThat(HeaderBlock.parse(bytes("A: 1\r\n\r\nbody")).overLimit()).isFalse();
    }

    @Test
    void acceptsObsoleteWhitespaceBeforeTheColonAndEightBitValues() {
        byte[] message = "Subject : Grüße\r\nX-Tag:\tv\r\n\r\n".getBytes(StandardCharsets.UTF_8);

        HeaderBlock header = HeaderBlock.parse(message);

        assertThat(header.fields()).extracting(HeaderField::name).containsExactly("Subject", "X-Tag");
        assertThat(header.first("subject").orElseThrow().value()).isEqualTo("Grüße");
    }

    /** Raw bytes that are not UTF-8 read as windows-1252, as mail programs read them, not as U+FFFD. */
    @Test
    void readsEightBitValuesThatAreNotUtf8AsWindows1252() {
        byte[] message = "To: Bj\u00f6rn Nordstr\u00f6m <b@example.com>\r\nX-Q: \u0093quoted\u0094\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1);

        HeaderBlock header = HeaderBlock.parse(message);

        assertThat(header.first("to").orElseThrow().value()).isEqualTo("Bj\u00f6rn Nordstr\u00f6m <b@example.com>");
        assertThat(header.first("x-q").orElseThrow().value()).isEqualTo("\u201cquoted\u201d");
    }

    @Test
    void leavesTheStreamAtTheBodySoConsumedPlusRestIsTheOriginal() throws IOException {
        for (String message : new String[] {"A: 1\r\n\r\nbody", "A: 1\r\rbody", "A: 1\n\nbody\n", "no header\nat all", ""}) {
            InputStream in = new ByteArrayInputStream(bytes(message));
            HeaderBlock header = HeaderBlock.read(in);
            ByteArrayOutputStream whole = new ByteArrayOutputStream();
            whole.write(header.consumed());
            in.transferTo(whole);

            assertThat(text(whole.toByteArray())).isEqualTo(message);
            assertThat(text(whole.toByteArray()).substring(header.bodyOffset())).isIn("body", "body\n", "no header\nat all", "");
        }
    }

    @Test
    void readsTheSameFromMarkableStreamsInChunksAsFromOthersByteByByte() throws IOException {
        java.util.Random random = new java.util.Random(3);
        for (int round = 0; round < 300; round++) {
            // headers around the 4 KiB chunk: many fields, some folded, with CRLF, LF or bare CR line ends
            StringBuilder message = new StringBuilder();
            int fields = random.nextInt(200);
            String[] ends = {"\r\n", "\n", "\r"};
            String end = ends[random.nextInt(ends.length)];
            for (int i = 0; i < fields; i++) {
                message.append("X-F").append(i).append(": ").append("v".repeat(random.nextInt(60))).append(end);
                if (random.nextInt(5) == 0) {
                    message.append("\t continued").append(end);
                }
            }
            message.append(end).append("body ").append(round).append(end).append("more");
            byte[] original = bytes(message.toString());

            InputStream plain = new java.io.FilterInputStream(new ByteArrayInputStream(original)) {
                @Override
                public boolean markSupported() {
                    return false;
                }
            };
            HeaderBlock expected = HeaderBlock.read(plain);
            byte[] expectedRest = plain.readAllBytes();
            for (InputStream markable : new InputStream[] {new ByteArrayInputStream(original),
                    new java.io.BufferedInputStream(new ByteArrayInputStream(original), 1 + random.nextInt(9000))}) {
                HeaderBlock header = HeaderBlock.read(markable);
                assertThat(header.fields().stream().map(f -> f.name() + "=" + text(f.raw())).toList())
                        .as("round %d", round)
                        .isEqualTo(expected.fields().stream().map(f -> f.name() + "=" + text(f.raw())).toList());
                assertThat(header.bodyOffset()).as("round %d", round).isEqualTo(expected.bodyOffset());
                assertThat(header.consumed()).as("round %d", round).isEqualTo(expected.consumed());
                assertThat(markable.readAllBytes()).as("round %d: the stream is left just after the header", round)
                        .isEqualTo(expectedRest);
            }
        }
    }

    @Test
    void stopsParsingAnOverlongHeaderButKeepsEveryByte() throws IOException {
        byte[] huge = new byte[HeaderBlock.MAX_BYTES + 10];
        java.util.Arrays.fill(huge, (byte) 'a');
        System.arraycopy(bytes("X-A: "), 0, huge, 0, 5);
        InputStream in = new ByteArrayInputStream(huge);

        HeaderBlock header = HeaderBlock.read(in);

        assertThat(header.consumed().length + in.readAllBytes().length).isEqualTo(huge.length);
        assertThat(header.bodyOffset()).isZero();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
