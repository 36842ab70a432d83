package dev.veil.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.RsaSigningKey;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seal reads a message once: the header, then the body hash from where the header reader stopped. Its body hash
 * is the one of the body hashed on its own, wherever the header ends relative to the reader's look-ahead (short
 * header, one over the 4 KiB chunk, one over the 8 KiB header buffer, no body, no final line end), and the message
 * follows the new fields byte for byte.
 */
class ArcSealerPathsTest {
    private static final Instant NOW = Instant.parse("2026-12-01T06:30:00Z");
    private static RsaSigningKey key;

    @TempDir
    Path dir;

    @BeforeAll
    static void key() {
        key = RsaSigningKey.generate(2048, 3);
    }

    @Test
    void theBodyHashIsTheBodysWhereverTheHeaderEnds() throws Exception {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            body.append("line ").append(i).append(" \t with  trailing space \r\n");
        }
        body.append("\r\n\r\n");
        for (String message : List.of(
                "From: a@partner.example\r\nTo: b@example.com\r\nSubject: hi\r\n\r\n" + body,
                "From: a@partner.example\r\nX-Long: " + "x".repeat(5000) + "\r\nSubject: over a chunk\r\n\r\n" + body,
                "From: a@partner.example\r\nX-Long: " + "y ".repeat(9000) + "\r\nSubject: over the buffer\r\n\r\n" + body,
                "From: a@partner.example\r\nSubject: header only\r\n",
                "Subject: no final line end\r\n\r\nbody without CRLF")) {
            Path in = dir.resolve("in.eml");
            Files.writeString(in, message, StandardCharsets.US_ASCII);
            byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
            int bodyOffset = HeaderBlock.parse(bytes).bodyOffset();
            byte[] expected = ArcSealer.bodyHash(new ByteArrayInputStream(bytes, bodyOffset, bytes.length - bodyOffset));

            byte[] sealed = seal(in);
            String text = new String(sealed, StandardCharsets.US_ASCII);
            assertThat(text).startsWith("ARC-Seal: i=1;")
                    .contains("\r\nAuthentication-Results: veil.example; dmarc=pass\r\n")
                    .endsWith(message.substring(message.indexOf("Subject:")));
            assertThat(bodyHashTag(text)).as(message.substring(0, 40)).isEqualTo(expected);

            // a second seal over the first: the chain that is there is read (and, with no DNS, not vouched for)
            Files.write(in, sealed);
            String again = new String(seal(in), StandardCharsets.US_ASCII);
            assertThat(again).startsWith("ARC-Seal: i=2;").contains("cv=fail");
            assertThat(bodyHashTag(again)).isEqualTo(expected);
        }
    }

    /**
     * Found by a black-box probe: one stray ARC field (an incomplete set) made the seal fail with a
     * NullPointerException on every retry, and 50 sets with an IllegalStateException, until the message bounced.
     * Now the first is sealed cv=fail over its own set only (RFC 8617 5.1.2), the second goes on without a new set.
     */
    @Test
    void aBrokenOrFullChainDoesNotHoldTheMessageBack() throws Exception {
        Path in = dir.resolve("in.eml");
        Files.writeString(in, "ARC-Authentication-Results: i=1; mx.other.example; spf=pass\r\n"
                + "From: a@partner.example\r\nSubject: stray\r\n\r\nhello\r\n", StandardCharsets.US_ASCII);
        String sealed = new String(seal(in), StandardCharsets.US_ASCII);
        assertThat(sealed).startsWith("ARC-Seal: i=2;").contains("cv=fail");

        StringBuilder full = new StringBuilder();
        for (int i = 1; i <= ArcSealer.MAX_INSTANCES; i++) {
            full.append("ARC-Seal: i=").append(i).append("; a=rsa-sha256; cv=").append(i == 1 ? "none" : "pass")
                    .append("; d=x.example; s=s; b=AAAA\r\n")
                    .append("ARC-Message-Signature: i=").append(i).append("; a=rsa-sha256; d=x.example; s=s; h=from;")
                    .append(" bh=AAAA; b=AAAA\r\n")
                    .append("ARC-Authentication-Results: i=").append(i).append("; x.example; none\r\n");
        }
        Files.writeString(in, full + "From: a@partner.example\r\nSubject: full\r\n\r\nhello\r\n",
                StandardCharsets.US_ASCII);
        String unsealed = new String(seal(in), StandardCharsets.US_ASCII);
        assertThat(unsealed).startsWith("Authentication-Results: veil.example; dmarc=pass\r\nARC-Seal: i=1;");
    }

    /** The bh= of the newest ARC-Message-Signature, the first field of that name. */
    private static byte[] bodyHashTag(String sealed) {
        String ams = sealed.substring(sealed.indexOf("ARC-Message-Signature:"));
        String bh = ams.substring(ams.indexOf("bh=") + 3, ams.indexOf(';', ams.indexOf("bh=")));
        return Base64.getDecoder().decode(bh.replaceAll("\\s", ""));
    }

    private byte[] seal(Path in) throws Exception {
        Path out = dir.resolve("out.eml");
        Files.deleteIfExists(out);
        new ArcSealer(key, "seal.example", "veil", "veil.example", null).seal(in, out,
                List.of("spf=pass smtp.mailfrom=partner.example"),
                header -> header.first("Authentication-Results").isPresent() ? List.of()
                        : List.of("Authentication-Results: veil.example; dmarc=pass"), NOW);
        return Files.readAllBytes(out);
    }
}
