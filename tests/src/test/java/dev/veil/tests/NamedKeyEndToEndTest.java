package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
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
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rule that encrypts to a named key ({@code keys.named}, POLICY.md): the archive's certificate, made with openssl
 * and put in the data directory, opens every message the rule relays — with a key Veil never had. When the file goes
 * away the next message waits (deferred, the reason named), and a reload refuses the policy up front.
 */
class NamedKeyEndToEndTest {
    @TempDir
    Path dir;

    @Test
    void mailUnderARuleWithANamedKeyOpensWithTheArchivesOwnKey() throws Exception {
        Path data = dir.resolve("veil-data");
        Files.createDirectories(data.resolve("keys"));
        Tools.run(dir, "openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", "archive-key.pem",
                "-out", data.resolve("keys/archive.pem").toString(), "-days", "30", "-subj", "/CN=Example Archive",
                "-addext", "keyUsage=keyEncipherment").orFail("openssl req");
        try (ExchangeAndVeil started = ExchangeAndVeil.start(data, PolicyLoader.exampleYaml()
                .replace("  keep-old-keys: forever\n", "  keep-old-keys: forever\n  named:\n    archive:\n"
                        + "      format: smime\n      certificate: keys/archive.pem\n")
                .replace("to: [recipient, escrow]", "to: [recipient, escrow, archive]"))) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil();
            String message = SmtpSubmit.message("archived", "reader@example.com", "the archive keeps a copy");
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "reader@example.com", message)
                    .queueId();
            veil.awaitState(id, "relayed", Duration.ofSeconds(30));
            Path received = dir.resolve("received.eml");
            Files.write(received, MessageText.bytes(exchange.getReceivedMessages()[0]));
            Path out = dir.resolve("decrypted.eml");
            Tools.opensslDecrypt(received, out, dir.resolve("archive-key.pem"), data.resolve("keys/archive.pem"))
                    .orFail("openssl cms -decrypt with the archive's key");
            assertThat(new String(VeilReceived.stripped(Files.readAllBytes(out)), StandardCharsets.UTF_8)).isEqualTo(message);

            // The key file goes away: the next message waits, it is not relayed without the archive's key.
            Files.move(data.resolve("keys/archive.pem"), dir.resolve("archive.pem"));
            String second = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "reader@example.com",
                    SmtpSubmit.message("not-archived", "reader@example.com", "wait for the archive")).queueId();
            Map<String, Object> entry = veil.awaitState(second, "deferred", Duration.ofSeconds(30));
            assertThat((String) entry.get("lastError")).contains("named key 'archive' (keys/archive.pem)")
                    .contains("does not exist");
            assertThat(exchange.getReceivedMessages()).hasSize(1);

            // GET /policy reads the file again and says so before any reload, and the health check names the key
            var policy = veil.admin("/policy");
            assertThat(policy.body()).contains("named key 'archive' (keys/archive.pem)").contains("does not exist");
            var health = veil.admin("/healthcheck");
            assertThat(health.statusCode()).isEqualTo(500);
            assertThat(health.body()).contains("named key 'archive'");

            // ... and a reload refuses the policy, saying why, while the last good one stays in force.
            var reload = veil.adminPost("/policy/reload");
            assertThat(reload.statusCode()).isEqualTo(422);
            assertThat(reload.body()).contains("named key 'archive' (keys/archive.pem)").contains("does not exist");
            // the admin's own check says the same before any mail waits
            GatewayProcess.CommandResult check = veil.commandResult("policy", "check");
            assertThat(check.exit()).as(check.output()).isNotZero();
            assertThat(check.output()).contains("named key 'archive' (keys/archive.pem)").contains("does not exist");
        }
    }
}
