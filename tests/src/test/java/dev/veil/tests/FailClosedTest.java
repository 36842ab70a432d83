package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import dev.veil.config.PolicyLoader;
import dev.veil.tests.support.ExchangeAndVeil;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.SmtpSubmit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When the policy says encrypt and anything goes wrong, nothing reaches the upstream — in any form. */
class FailClosedTest {
    @TempDir
    Path dir;

    private static String policy(String onError, boolean issueCertificates) {
        return PolicyLoader.exampleYaml()
                .replace("on-error: defer", "on-error: " + onError)
                .replace("issue-user-certificates: true", "issue-user-certificates: " + issueCertificates);
    }

    @Test
    void relaysNothingWhenRecipientKeyIsMissingAndDefers() throws Exception {
        try (ExchangeAndVeil started = ExchangeAndVeil.start(dir.resolve("veil-data"), policy("defer", false))) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil();
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "nokey@example.com",
                    SmtpSubmit.message("nokey", "nokey@example.com", "secret")).queueId();
            Map<String, Object> entry = veil.awaitState(id, "deferred", Duration.ofSeconds(20));
            assertThat((String) entry.get("lastError")).contains("nokey@example.com");
            Thread.sleep(3000);
            assertThat(exchange.getReceivedMessages()).isEmpty();
            assertThat(veil.dataDir().resolve("spool").resolve("queue").resolve(id + ".eml")).exists();
        }
    }

    @Test
    void quarantinesWhenPolicySaysSoAndKeepsTheMessage() throws Exception {
        try (ExchangeAndVeil started = ExchangeAndVeil.start(dir.resolve("veil-data"), policy("quarantine", false))) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil();
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "nokey@example.com",
                    SmtpSubmit.message("quarantine", "nokey@example.com", "secret")).queueId();
            veil.awaitState(id, "quarantined", Duration.ofSeconds(20));
            Thread.sleep(2000);
            assertThat(exchange.getReceivedMessages()).isEmpty();
            assertThat(Files.readString(veil.dataDir().resolve("spool").resolve("queue").resolve(id + ".eml")))
                    .contains("secret");
        }
    }

    @Test
    void relaysNothingWhenTheMasterKeyIsWrong() throws Exception {
        byte[] wrong = new byte[32];
        new java.security.SecureRandom().nextBytes(wrong);
        try (ExchangeAndVeil started = ExchangeAndVeil.prepared(dir.resolve("veil-data"))) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil().env("VEIL_MASTER_KEY", Base64.getEncoder().encodeToString(wrong)).start();
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "reader@example.com",
                    SmtpSubmit.message("wrong-master", "reader@example.com", "secret")).queueId();
            Map<String, Object> entry = veil.awaitState(id, "deferred", Duration.ofSeconds(20));
            assertThat((String) entry.get("lastError")).contains("master key");
            Thread.sleep(3000);
            assertThat(exchange.getReceivedMessages()).isEmpty();
            var health = veil.admin("/healthcheck");
            assertThat(health.statusCode()).isEqualTo(500);
            assertThat(health.body()).contains("\"keys\":{\"healthy\":false");
        }
    }

    @Test
    void plaintextLabelledAsEncryptedIsEncryptedAnyway() throws Exception {
        try (ExchangeAndVeil started = ExchangeAndVeil.start(dir.resolve("veil-data"))) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil();
            String spoof = "From: <sender@partner.example>\r\nTo: <reader@example.com>\r\nSubject: looks sealed\r\n"
                    + "MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data;"
                    + " name=smime.p7m\r\nContent-Transfer-Encoding: 7bit\r\n\r\nthe plaintext secret\r\n";
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "reader@example.com", spoof)
                    .queueId();
            veil.awaitState(id, "relayed", Duration.ofSeconds(30));
            assertThat(exchange.getReceivedMessages()).hasSize(1);
            var arrived = exchange.getReceivedMessages()[0];
            assertThat(arrived.getHeader("Subject")[0]).isEqualTo("[encrypted]");
            java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
            arrived.writeTo(raw);
            assertThat(raw.toString(java.nio.charset.StandardCharsets.ISO_8859_1))
                    .doesNotContain("plaintext secret").doesNotContain("looks sealed");
        }
    }

    @Test
    void brokenPolicyAtStartRefusesMailTemporarilyAndRelaysNothing() throws Exception {
        try (ExchangeAndVeil started = ExchangeAndVeil.start(dir.resolve("veil-data"),
                PolicyLoader.exampleYaml().replace("encrypt:", "encrpyt:"))) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil();
            java.io.IOException refused = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                    () -> SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "reader@example.com",
                            SmtpSubmit.message("no-policy", "reader@example.com", "secret")));
            assertThat(refused.getMessage()).contains("451");
            assertThat(veil.queue()).isEmpty();
            assertThat(veil.admin("/healthcheck").body()).contains("encrpyt");
            assertThat(exchange.getReceivedMessages()).isEmpty();
        }
    }
}
