package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import dev.veil.config.PolicyLoader;
import dev.veil.tests.support.Corpus;
import dev.veil.tests.support.ExchangeAndVeil;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.Tools;
import dev.veil.tests.support.VeilReceived;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code already-encrypted: encrypt}: mail that is already S/MIME-encrypted is encrypted again, so its Subject and
 * Received lines are hidden too, and the escrow key still gives back the original exactly.
 */
class AlreadyEncryptedTest {
    @TempDir
    Path dir;

    @Test
    void alreadyEncryptedMailIsEncryptedAgainWhenThePolicySaysSo() throws Exception {
        try (ExchangeAndVeil started = ExchangeAndVeil.start(dir.resolve("veil-data"), PolicyLoader.exampleYaml()
                .replace("      subject: \"[encrypted]\"\n", "      subject: \"[encrypted]\"\n      already-encrypted: encrypt\n")
                .replace("      protect-headers: [subject]\n", "      protect-headers: [subject, references]\n"))) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil();
            byte[] original = Corpus.asSmtpData(Files.readAllBytes(Corpus.root().resolve("mail/smime-thunderbird-enveloped.eml")));
            Path sent = dir.resolve("sent.eml");
            Files.write(sent, original);
            Tools.curlSend(veil.smtpPort(), "sender@partner.example", "reader@example.com", sent).orFail("curl");
            assertThat(exchange.waitForIncomingEmail(30_000, 1)).isTrue();
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            exchange.getReceivedMessages()[0].writeTo(raw);
            String outside = raw.toString(StandardCharsets.ISO_8859_1);
            assertThat(outside).contains("Subject: [encrypted]")
                    .doesNotContain("S/MIME test message encrypted")
                    .doesNotContain("dhcp-077-249-147-106");
            Path received = dir.resolve("received.eml");
            Files.write(received, raw.toByteArray());
            Path escrow = started.exportEscrow(dir.resolve("escrow"));
            Path out = dir.resolve("decrypted.eml");
            Tools.opensslDecrypt(received, out, escrow.resolve("escrow-key.pem"), escrow.resolve("escrow-cert.pem"))
                    .orFail("openssl cms -decrypt");
            assertThat(VeilReceived.stripped(Files.readAllBytes(out))).isEqualTo(original);

            // protect-headers: [subject, references] — References stays inside only
            String threaded = "From: <sender@partner.example>\r\nTo: <reader@example.com>\r\n"
                    + "Message-ID: <reply-2@partner.example>\r\nIn-Reply-To: <ref-1@partner.example>\r\n"
                    + "References: <ref-1@partner.example>\r\nSubject: re: plans\r\n\r\nsee you\r\n";
            Files.writeString(sent, threaded);
            Tools.curlSend(veil.smtpPort(), "sender@partner.example", "reader@example.com", sent).orFail("curl");
            assertThat(exchange.waitForIncomingEmail(30_000, 2)).isTrue();
            ByteArrayOutputStream second = new ByteArrayOutputStream();
            exchange.getReceivedMessages()[1].writeTo(second);
            String header = second.toString(StandardCharsets.ISO_8859_1).split("\r\n\r\n", 2)[0];
            assertThat(header).contains("In-Reply-To: <ref-1@partner.example>").doesNotContain("References:");
            Files.write(received, second.toByteArray());
            Files.delete(out);
            Tools.opensslDecrypt(received, out, escrow.resolve("escrow-key.pem"), escrow.resolve("escrow-cert.pem"))
                    .orFail("openssl cms -decrypt");
            assertThat(new String(VeilReceived.stripped(Files.readAllBytes(out)), StandardCharsets.ISO_8859_1))
                    .isEqualTo(threaded);
        }
    }
}
