package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.veil.config.PolicyLoader;
import dev.veil.tests.support.ExchangeAndVeil;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.MessageText;
import dev.veil.tests.support.SmtpSubmit;
import dev.veil.tests.support.Tools;
import dev.veil.tests.support.VeilReceived;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user brings their own certificate (made with openssl, imported with {@code veil keys import}): with issuing
 * off, Veil encrypts to it, and the user's own private key — which Veil never had — opens the message.
 */
class ImportedKeyEndToEndTest {
    @TempDir
    Path dir;

    @Test
    void mailIsEncryptedToTheRecipientsImportedCertificate() throws Exception {
        Tools.run(dir, "openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", "own-key.pem",
                "-out", "own-cert.pem", "-days", "30", "-subj", "/CN=Reader",
                "-addext", "subjectAltName=email:reader@example.com",
                "-addext", "keyUsage=keyEncipherment,digitalSignature",
                "-addext", "extendedKeyUsage=emailProtection").orFail("openssl req");
        try (ExchangeAndVeil started = ExchangeAndVeil.prepared(dir.resolve("veil-data"), PolicyLoader.exampleYaml()
                .replace("issue-user-certificates: true", "issue-user-certificates: false"))) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil();
            String imported = veil.command("keys", "import", dir.resolve("own-cert.pem").toString());
            assertThat(imported).contains("reader@example.com");
            veil.start();
            String message = SmtpSubmit.message("own-key", "reader@example.com", "only my own key opens this");
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "reader@example.com", message)
                    .queueId();
            veil.awaitState(id, "relayed", Duration.ofSeconds(30));
            Path received = dir.resolve("received.eml");
            Files.write(received, MessageText.bytes(exchange.getReceivedMessages()[0]));
            Path out = dir.resolve("decrypted.eml");
            Tools.opensslDecrypt(received, out, dir.resolve("own-key.pem"), dir.resolve("own-cert.pem"))
                    .orFail("openssl cms -decrypt with the user's own key");
            assertThat(new String(VeilReceived.stripped(Files.readAllBytes(out)), StandardCharsets.UTF_8)).isEqualTo(message);
        }
    }

    /**
     * Elliptic curves end to end: a key store made with {@code keys.smime.algorithm: ec-p256} (EC CA and escrow) and
     * a user's own P-384 certificate; the message carries two ECDH key-agreement recipients, and openssl opens it with
     * the user's key and with the escrow key exported by {@code veil keys export-escrow}.
     */
    @Test
    void mailIsEncryptedToAnImportedEcCertificateAndAnEcEscrow() throws Exception {
        Tools.run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes",
                "-keyout", "own-key.pem", "-out", "own-cert.pem", "-days", "30", "-subj", "/CN=Reader",
                "-addext", "subjectAltName=email:reader@example.com",
                "-addext", "keyUsage=keyAgreement,digitalSignature",
                "-addext", "extendedKeyUsage=emailProtection").orFail("openssl req");
        Path data = dir.resolve("veil-data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("policy.yml"), PolicyLoader.exampleYaml()
                .replace("issue-user-certificates: true", "issue-user-certificates: false")
                .replace("algorithm: rsa-3072", "algorithm: ec-p256"));
        int port = GatewayProcess.freePort();
        GreenMail exchange = new GreenMail(new ServerSetup(port, "127.0.0.1", "smtp"));
        exchange.start();
        try (GatewayProcess veil = GatewayProcess.fresh(data).upstreamSmtp(port)) {
            // The first keys command makes the key store from the policy: an EC CA and escrow.
            assertThat(veil.command("keys", "import", dir.resolve("own-cert.pem").toString())).contains("reader@example.com");
            veil.start();
            String message = SmtpSubmit.message("own-ec-key", "reader@example.com", "curves all the way down");
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "reader@example.com", message)
                    .queueId();
            veil.awaitState(id, "relayed", Duration.ofSeconds(30));
            Path received = dir.resolve("received.eml");
            Files.write(received, MessageText.bytes(exchange.getReceivedMessages()[0]));

            Path out = dir.resolve("decrypted.eml");
            Tools.opensslDecrypt(received, out, dir.resolve("own-key.pem"), dir.resolve("own-cert.pem"))
                    .orFail("openssl cms -decrypt with the user's own EC key");
            assertThat(new String(VeilReceived.stripped(Files.readAllBytes(out)), StandardCharsets.UTF_8)).isEqualTo(message);
            veil.command("keys", "export-escrow", "--out", dir.resolve("escrow").toString(), "--unencrypted");
            Path byEscrow = dir.resolve("by-escrow.eml");
            Tools.opensslDecrypt(received, byEscrow, dir.resolve("escrow/escrow-key.pem"), dir.resolve("escrow/escrow-cert.pem"))
                    .orFail("openssl cms -decrypt with the EC escrow key");
            assertThat(new String(VeilReceived.stripped(Files.readAllBytes(byEscrow)), StandardCharsets.UTF_8))
                    .isEqualTo(message);
            String structure = Tools.run(dir, "openssl", "cms", "-cmsout", "-print", "-in", received.toString())
                    .orFail("openssl cms -cmsout").output();
            assertThat(structure).contains("dhSinglePass-stdDH-sha384kdf-scheme", "dhSinglePass-stdDH-sha256kdf-scheme")
                    .doesNotContain("rsaesOaep");
        } finally {
            exchange.stop();
        }
    }
}
