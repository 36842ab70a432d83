package dev.veil.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.crypto.RsaSigningKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A message small enough to seal in memory gets exactly the bytes the streaming path writes (RSA PKCS#1 v1.5
 * signatures are deterministic, and the time is fixed): the same ARC set, extra fields, header and body.
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
    void inMemoryAndStreamingSealsAreTheSameBytes() throws Exception {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            body.append("line ").append(i).append(" \t with  trailing space \r\n");
        }
        body.append("\r\n\r\n");
        for (String message : List.of(
                "From: a@partner.example\r\nTo: b@example.com\r\nSubject: hi\r\n\r\n" + body,
                "From: a@partner.example\r\nSubject: header only\r\n",
                "Subject: no final line end\r\n\r\nbody without CRLF")) {
            Path in = dir.resolve("in.eml");
            Files.writeString(in, message, StandardCharsets.US_ASCII);
            List<String> results = List.of("spf=pass smtp.mailfrom=partner.example");
            byte[] memory = seal(new ArcSealer(key, "seal.example", "veil", "veil.example", null), in, results);
            byte[] streamed = seal(new ArcSealer(key, "seal.example", "veil", "veil.example", null, -1), in, results);
            assertThat(new String(memory, StandardCharsets.US_ASCII)).startsWith("ARC-Seal: i=1;")
                    .contains("\r\nAuthentication-Results: veil.example; dmarc=pass\r\n")
                    .endsWith(message.substring(message.indexOf("Subject:")));
            assertThat(memory).as(message.substring(0, 30)).isEqualTo(streamed);

            // a second seal over the first: the chain that is there is read (and, with no DNS, not vouched for)
            Files.write(in, memory);
            byte[] again = seal(new ArcSealer(key, "seal.example", "veil", "veil.example", null), in, results);
            byte[] againStreamed = seal(new ArcSealer(key, "seal.example", "veil", "veil.example", null, -1), in, results);
            assertThat(new String(again, StandardCharsets.US_ASCII)).startsWith("ARC-Seal: i=2;").contains("cv=fail");
            assertThat(again).isEqualTo(againStreamed);
        }
    }

    private byte[] seal(ArcSealer sealer, Path in, List<String> results) throws Exception {
        Path out = dir.resolve("out.eml");
        Files.deleteIfExists(out);
        sealer.seal(in, out, results, header -> header.first("Authentication-Results").isPresent() ? List.of()
                : List.of("Authentication-Results: veil.example; dmarc=pass"), NOW);
        return Files.readAllBytes(out);
    }
}
