package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.ScriptedUpstream;
import dev.veil.tests.support.SmtpSubmit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The upstream misbehaves: temporary failures are retried, permanent ones bounce with a DSN. */
class UpstreamFaultsTest {
    @TempDir
    Path dir;

    @Test
    void upstreamDownThenUpDefersThenRelays() throws Exception {
        int upstreamPort = GatewayProcess.freePort();
        try (GatewayProcess veil = GatewayProcess.withKeys(dir.resolve("veil-data")).upstreamSmtp(upstreamPort)
                .set("upstream.connectTimeout", "2s").start()) {
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "reader@example.com",
                    SmtpSubmit.message("down-up", "reader@example.com", "secret")).queueId();
            Map<String, Object> deferred = veil.awaitState(id, "deferred", Duration.ofSeconds(20));
            assertThat((String) deferred.get("lastError")).contains("127.0.0.1:" + upstreamPort);
            assertThat(((Number) deferred.get("attempts")).intValue()).isGreaterThanOrEqualTo(1);

            GreenMail exchange = new GreenMail(new ServerSetup(upstreamPort, "127.0.0.1", "smtp"));
            exchange.start();
            try {
                veil.awaitState(id, "relayed", Duration.ofSeconds(30));
                assertThat(exchange.getReceivedMessages()).hasSize(1);
            } finally {
                exchange.stop();
            }
        }
    }

    @Test
    void upstreamPermanentRejectionBouncesWithDeliveryStatusNotification() throws Exception {
        int upstreamPort = GatewayProcess.freePort();
        try (ScriptedUpstream exchange = new ScriptedUpstream(upstreamPort, ScriptedUpstream.Mode.REJECT_RCPT,
                "550 5.1.1 mailbox unavailable");
             GatewayProcess veil = GatewayProcess.withKeys(dir.resolve("veil-data")).upstreamSmtp(upstreamPort).start()) {
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "reader@example.com",
                    SmtpSubmit.message("bounce", "reader@example.com", "secret")).queueId();
            veil.awaitState(id, "bounced", Duration.ofSeconds(30));
            Path dsn = veil.dataDir().resolve("spool").resolve("dsn").resolve(id + ".eml");
            assertThat(dsn).exists();
            String report = Files.readString(dsn);
            assertThat(report)
                    .contains("To: <sender@partner.example>")
                    .contains("Content-Type: multipart/report; report-type=delivery-status")
                    .contains("Final-Recipient: rfc822; reader@example.com")
                    .contains("Action: failed")
                    .contains("Status: 5.1.1")
                    .contains("550 5.1.1 mailbox unavailable")
                    .doesNotContain("secret");
            assertThat(exchange.commands()).noneMatch(c -> c.startsWith("DATA"));
            assertThat(veil.dataDir().resolve("spool").resolve("queue").resolve(id + ".eml")).doesNotExist();
        }
    }

    @Test
    void upstreamTemporaryRejectionIsRetriedNotBounced() throws Exception {
        int upstreamPort = GatewayProcess.freePort();
        try (ScriptedUpstream exchange = new ScriptedUpstream(upstreamPort, ScriptedUpstream.Mode.DEFER_RCPT,
                "451 4.3.0 try later");
             GatewayProcess veil = GatewayProcess.withKeys(dir.resolve("veil-data")).upstreamSmtp(upstreamPort).start()) {
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "reader@example.com",
                    SmtpSubmit.message("defer", "reader@example.com", "secret")).queueId();
            veil.awaitState(id, "deferred", Duration.ofSeconds(20));
            Thread.sleep(4000);
            Map<String, Object> entry = veil.queue().stream().filter(e -> id.equals(e.get("id"))).findFirst().orElseThrow();
            assertThat(entry.get("state")).isEqualTo("deferred");
            assertThat(((Number) entry.get("attempts")).intValue()).as("retried with backoff").isGreaterThanOrEqualTo(2);
            assertThat((String) entry.get("lastError")).contains("451");
            assertThat(veil.dataDir().resolve("spool").resolve("dsn").resolve(id + ".eml")).doesNotExist();
        }
    }
}
