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

    @Test
    void bodiesWithoutAFinalLineBreakOrWithNothingInThem() throws Exception {
        assertThat(body("last line")).isEqualTo("last line\r\n");
        assertThat(body("")).isEmpty();
        assertThat(body("\r\n\r\n")).isEmpty();
        assertThat(body("a\r\n \r\n\t\r\nb\r\n")).isEqualTo("a\r\n\r\n\r\nb\r\n");
    }

    @Test
    void theSignatureValueIsEmptiedButNotTheBodyHash() {
        String field = "ARC-Seal: i=1; a=rsa-sha256; bh=abc; b=SIG\r\n\tNATURE; d=x.example\r\n";
        assertThat(new String(Canonical.withoutSignature(field.getBytes())))
                .isEqualTo("ARC-Seal: i=1; a=rsa-sha256; bh=abc; b=; d=x.example\r\n");
    }
}
