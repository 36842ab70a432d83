package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil decrypt} on messages openssl encrypted to the escrow certificate: no plaintext before the message is
 * verified, no temporary file left behind, a status line naming the key as {@code keys list} does.
 */
class DecryptCommandTest {
    private static final String MARKER = "secret-marker";

    @TempDir
    Path dir;

    @Test
    void aTamperedAuthEnvelopedMessagePrintsNoPlaintextAndLeavesNoTemporaryFile() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        GatewayProcess veil = veil(tmp);
        Path sealed = opensslEncrypt(veil, "-aes-256-gcm");
        byte[] der = Files.readAllBytes(sealed);
        der[der.length / 2] ^= 1; // inside the ciphertext: only the GCM tag at the end can tell
        Path tampered = dir.resolve("tampered.eml");
        Files.writeString(tampered, smimeMessage(der));

        GatewayProcess.CommandResult result = veil.commandResult("decrypt", tampered.toString());

        assertThat(result.exit()).as(result.output()).isEqualTo(1);
        assertThat(result.output()).doesNotContain(MARKER).doesNotContain("\tat ");
        assertThat(leftIn(tmp)).isZero();
    }

    @Test
    void aVerifiedMessageGoesToStdoutAndTheStatusLineNamesTheListedKeyAndTheCipher() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        GatewayProcess veil = veil(tmp);
        Path message = dir.resolve("aes192.eml");
        Files.writeString(message, smimeMessage(Files.readAllBytes(opensslEncrypt(veil, "-aes192"))));
        String escrow = null;
        for (JsonNode k : new ObjectMapper().readTree(jsonOf(veil.command("keys", "list", "--json")))) {
            if (k.get("kind").asText().equals("escrow")) {
                escrow = k.get("fingerprint").asText();
            }
        }

        String output = veil.command("decrypt", message.toString());

        assertThat(output).contains(MARKER).doesNotContain("OpenReport");
        assertThat(output).containsPattern("decrypted " + Pattern.quote(message.toString()) + " with key "
                + escrow + " \\(escrow [^)]*, current\\), content AES-192-CBC");
        assertThat(leftIn(tmp)).isZero();
    }

    @Test
    void aMissingFileIsOneLine() {
        GatewayProcess.CommandResult result = veil(dir).commandResult("decrypt", dir.resolve("nonexist.eml").toString());
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.output()).contains("no such file or directory").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aMissingOrMalformedMasterKeyIsOneLine() throws Exception {
        GatewayProcess veil = veil(dir);
        Path message = opensslEncrypt(veil, "-aes-256-cbc");
        Files.delete(dir.resolve("data").resolve("master.key"));
        GatewayProcess.CommandResult missing = veil.commandResult("decrypt", message.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.output()).contains("no master key").doesNotContain("Exception").doesNotContain("\tat ");
        GatewayProcess.CommandResult malformed = veil.env("VEIL_MASTER_KEY", "abc").commandResult("decrypt", message.toString());
        assertThat(malformed.exit()).isEqualTo(1);
        assertThat(malformed.output()).contains("expected 32").doesNotContain("Exception").doesNotContain("\tat ");
    }

    private GatewayProcess veil(Path tmp) {
        return GatewayProcess.withKeys(dir.resolve("data")).env("JAVA_TOOL_OPTIONS", "-Djava.io.tmpdir=" + tmp);
    }

    /** A 300 kB message, far more than any output buffer, encrypted by openssl to the escrow certificate (DER). */
    private Path opensslEncrypt(GatewayProcess veil, String cipher) throws Exception {
        Path escrow = dir.resolve("escrow");
        if (!Files.exists(escrow.resolve("escrow-cert.pem"))) {
            veil.command("keys", "export-escrow", "--out", escrow.toString(), "--unencrypted");
        }
        StringBuilder plain = new StringBuilder("Subject: test\r\n\r\n");
        for (int i = 0; i < 6000; i++) {
            plain.append("line ").append(i).append(' ').append(MARKER).append(" padding padding padding\r\n");
        }
        Path in = dir.resolve("plain.eml");
        Files.writeString(in, plain);
        Path out = dir.resolve("sealed" + cipher + ".der");
        Tools.run(dir, "openssl", "cms", "-encrypt", "-binary", cipher, "-in", in.toString(), "-outform", "DER",
                "-out", out.toString(), escrow.resolve("escrow-cert.pem").toString()).orFail("openssl cms -encrypt");
        return out;
    }

    private static String smimeMessage(byte[] der) {
        return "MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + Base64.getMimeEncoder().encodeToString(der) + "\r\n";
    }

    private static long leftIn(Path tmp) throws Exception {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.filter(f -> f.getFileName().toString().startsWith("veil-decrypt-")).count();
        }
    }

    private static String jsonOf(String output) {
        return output.substring(output.indexOf("\n[") + 1);
    }
}
