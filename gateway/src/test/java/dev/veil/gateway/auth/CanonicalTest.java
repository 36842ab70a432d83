package dev.veil.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Relaxed canonicalization, with the examples of RFC 6376 section 3.4.5. */
class CanonicalTest {

    private static String body(String in) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Canonical.BodyStream body = new Canonical.BodyStream(out)) {
            body.write(in.getBytes(StandardCharsets.ISO_8859_1));
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void rfc6376Example() throws Exception {
        assertThat(new String(Canonical.header("A: X\r\n".getBytes(), true))).isEqualTo("a:X\r\n");
        assertThat(new String(Canonical.header("B : Y\t\r\n\tZ  \r\n".getBytes(), true))).isEqualTo("b:Y Z\r\n");
        assertThat(body(" C \r\nD \t E\r\n\r\n\r\n")).isEqualTo(" C\r\nD E\r\n");
    }

    /**
     * Header fields against the rule written as regular expressions (RFC 6376 3.4.2): name in lower case, unfolded,
     * runs of WSP as one space, none at either end of the value. Random fields of names, WSP, folds, 8-bit bytes.
     */
    @Test
    void headerFieldsAsTheRuleSays() {
        java.util.Random random = new java.util.Random(5);
        String[] pieces = {"a", "Z", "-", "x", " ", "\t", "\r\n ", "\r\n\t", ";", "=", "\u00e9", "\u00ff", ":", "B", "  "};
        for (int i = 0; i < 3000; i++) {
            StringBuilder name = new StringBuilder(random.nextBoolean() ? "Subject" : "X-Fo" + (char) ('A' + random.nextInt(26)));
            name.append(random.nextBoolean() ? "" : random.nextBoolean() ? " " : "\t ");
            StringBuilder value = new StringBuilder();
            for (int n = random.nextInt(30); n > 0; n--) {
                value.append(pieces[random.nextInt(pieces.length)]);
            }
            String field = name + ":" + value + (random.nextBoolean() ? "\r\n" : "");
            boolean crlf = random.nextBoolean();
            String expected = name.toString().strip().toLowerCase(java.util.Locale.ROOT) + ":"
                    + value.toString().replaceAll("[\r\n]", "").replaceAll("[ \t]+", " ").replaceAll("^ | $", "")
                    + (crlf ? "\r\n" : "");
            assertThat(new String(Canonical.header(field.getBytes(StandardCharsets.ISO_8859_1), crlf),
                    StandardCharsets.ISO_8859_1)).as("%s", field).isEqualTo(expected);
        }
    }

    @Test
    void bodiesWithoutAFinalLineBreakOrWithNothingInThem() throws Exception {
        assertThat(body("last line")).isEqualTo("last line\r\n");
        assertThat(body("")).isEmpty();
        assertThat(body("\r\n\r\n")).isEmpty();
        assertThat(body("a\r\n \r\n\t\r\nb\r\n")).isEqualTo("a\r\n\r\n\r\nb\r\n");
    }

    /**
     * The bulk path of {@code write(byte[])} canonicalizes exactly as the byte-wise one, for bodies full of what steers
     * relaxed canonicalization (CR, LF, bare CR and LF, spaces, tabs) and for any split into writes.
     */
    /**
     * Third rounds: CRLF lines of ordinary bytes, as base64 is, which are passed on whole; now and then one of them
     * empty, with whitespace inside or at its end, or ended by a bare CR or LF.
     */
    private static byte[] lines(java.util.Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = random.nextInt(600);
        int oddity = 2 + random.nextInt(40);
        String[] odd = {"", " ", "\t", "x ", " x", "\r", "\n", "\r\r", "\n\r"};
        for (int line = 0; line < count; line++) {
            out.writeBytes("x".repeat(random.nextInt(80)).getBytes(StandardCharsets.US_ASCII));
            if (random.nextInt(oddity) == 0) {
                out.writeBytes(odd[random.nextInt(odd.length)].getBytes(StandardCharsets.US_ASCII));
            }
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        if (random.nextBoolean()) {
            out.writeBytes("xx".getBytes(StandardCharsets.US_ASCII)); // no line break at the end
        }
        return out.toByteArray();
    }

    @Test
    void writingInRunsGivesTheSameAsByteByByte() throws Exception {
        java.util.Random random = new java.util.Random(5);
        byte[] alphabet = {'a', 'b', ' ', '\t', '\r', '\n', (byte) 0xff, '.', 0x1b, 0};
        for (int round = 0; round < 3_000; round++) {
            byte[] in = new byte[random.nextInt(round % 3 == 0 ? 200 : 40_000)];
            // second rounds: long ordinary runs, as in most text, which are searched 8 bytes at a time
            int ordinaryOdds = round % 3 == 0 ? 0 : 1 + random.nextInt(60);
            for (int i = 0; i < in.length; i++) {
                in[i] = random.nextInt(ordinaryOdds + 1) > 0 ? (byte) 'x' : alphabet[random.nextInt(alphabet.length)];
            }
            if (round % 3 == 2) {
                in = lines(random);
            }
            ByteArrayOutputStream byteWise = new ByteArrayOutputStream();
            try (Canonical.BodyStream body = new Canonical.BodyStream(byteWise)) {
                for (byte b : in) {
                    body.write(b & 0xff);
                }
            }
            ByteArrayOutputStream chunked = new ByteArrayOutputStream();
            try (Canonical.BodyStream body = new Canonical.BodyStream(chunked)) {
                for (int i = 0; i < in.length; ) {
                    int n = Math.min(in.length - i, 1 + random.nextInt(random.nextBoolean() ? 40 : 20_000));
                    body.write(in, i, n);
                    i += n;
                }
            }
            assertThat(chunked.toByteArray()).as("round %d", round).isEqualTo(byteWise.toByteArray());
            assertThat(body(new String(in, StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1))
                    .isEqualTo(byteWise.toByteArray());
        }
    }

    @Test
    void theSignatureValueIsEmptiedButNotTheBodyHash() {
        String field = "ARC-Seal: i=1; a=rsa-sha256; bh=abc; b=SIG\r\n\tNATURE; d=x.example\r\n";
        assertThat(new String(Canonical.withoutSignature(field.getBytes())))
                .isEqualTo("ARC-Seal: i=1; a=rsa-sha256; bh=abc; b=; d=x.example\r\n");
    }
}
