package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.ScriptedUpstream;
import dev.veil.tests.support.SmtpSubmit;
import dev.veil.tests.support.VeilReceived;
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

    /**
     * Exchange stays unreachable until the queue gives up: the notice to the sender outside the business says the
     * delivery failed for a temporary reason and gives the queue id, but not Veil's account of it, which names the
     * upstream's address and port; the queue keeps that account for the admin.
     */
    @Test
    void aGiveUpNoticeToAnOutsideSenderDoesNotNameVeilsUpstream() throws Exception {
        int upstreamPort = GatewayProcess.freePort();
        try (ScriptedUpstream world = new ScriptedUpstream(GatewayProcess.freePort(), ScriptedUpstream.Mode.ACCEPT, "");
             GatewayProcess veil = GatewayProcess.withKeys(dir.resolve("veil-data")).upstreamSmtp(upstreamPort)
                     .set("upstream.connectTimeout", "2s").set("queue.giveUpAfter", "3s")
                     .outboundRelaySmtp(world.port()).start()) {
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "reader@example.com",
                    SmtpSubmit.message("give up", "reader@example.com", "secret")).queueId();
            Map<String, Object> bounced = veil.awaitState(id, "bounced", Duration.ofSeconds(40));
            assertThat((String) bounced.get("lastError")).contains("127.0.0.1:" + upstreamPort);

            String notice = noticeSentOut(world, veil);
            assertThat(notice)
                    .contains("To: <sender@partner.example>", "Final-Recipient: rfc822; reader@example.com",
                            "Status: 5.4.7", "a temporary error", "queue id " + id);
            // the returned header starts with Veil's Received field, which names the sender's own client address
            java.util.regex.Matcher received = VeilReceived.FIELD.matcher(notice);
            assertThat(received.find()).as("Veil's Received field in the returned header").isTrue();
            assertThat(received.replaceAll(""))
                    .doesNotContain("127.0.0.1", ":" + upstreamPort, "refused", "secret");
        }
    }

    /**
     * Exchange refuses the recipient for good: the message bounces, its notice is kept in {@code spool/dsn/} and
     * sent to the external sender through the outbound relay (standing for the internet; GreenMail cannot play it,
     * it refuses the null sender) with the null sender, quoting the original's header but nothing of its body.
     */
    @Test
    void upstreamPermanentRejectionBouncesWithDeliveryStatusNotification() throws Exception {
        int upstreamPort = GatewayProcess.freePort();
        try (ScriptedUpstream exchange = new ScriptedUpstream(upstreamPort, ScriptedUpstream.Mode.REJECT_RCPT,
                "550 5.1.1 mailbox unavailable");
             ScriptedUpstream world = new ScriptedUpstream(GatewayProcess.freePort(), ScriptedUpstream.Mode.ACCEPT, "");
             GatewayProcess veil = GatewayProcess.withKeys(dir.resolve("veil-data")).upstreamSmtp(upstreamPort)
                     .outboundRelaySmtp(world.port()).start()) {
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
                    .contains("Subject: confidential bounce")
                    .doesNotContain("secret");
            assertThat(exchange.commands()).noneMatch(c -> c.startsWith("DATA"));
            assertThat(veil.dataDir().resolve("spool").resolve("queue").resolve(id + ".eml")).doesNotExist();

            assertThat(noticeSentOut(world, veil))
                    .contains("To: <sender@partner.example>", "report-type=delivery-status",
                            "Final-Recipient: rfc822; reader@example.com", "Status: 5.1.1")
                    .doesNotContain("secret");
            assertThat(world.commands()).contains("MAIL FROM:<>", "RCPT TO:<sender@partner.example>");
            assertThat(veil.logTail()).contains(id + ": bounce notice to sender@partner.example queued as");
        }
    }

    /**
     * The other way round: mail a user sent out bounces at the outbound relay, and the notice goes to the user
     * through Exchange, which gets it encrypted like any mail to a protected address (it quotes the subject).
     */
    @Test
    void outboundBounceNoticeReachesTheProtectedSenderEncrypted() throws Exception {
        try (ScriptedUpstream exchange = new ScriptedUpstream(GatewayProcess.freePort(), ScriptedUpstream.Mode.ACCEPT, "");
             ScriptedUpstream world = new ScriptedUpstream(GatewayProcess.freePort(), ScriptedUpstream.Mode.REJECT_RCPT,
                     "550 5.1.1 no such user here");
             GatewayProcess veil = GatewayProcess.withKeys(dir.resolve("veil-data"))
                     .upstreamSmtp(exchange.port()).outboundRelaySmtp(world.port()).start()) {
            String id = SmtpSubmit.send(veil.outboundPort(), "alice@example.com", "bob@partner.example",
                    SmtpSubmit.message("outbound-bounce", "bob@partner.example", "secret")).queueId();
            veil.awaitState(id, "bounced", Duration.ofSeconds(30));

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (exchange.messages().isEmpty() && System.nanoTime() < deadline) {
                GatewayProcess.sleep(100);
            }
            assertThat(exchange.messages()).as("log:\n%s", veil.logTail()).singleElement().satisfies(raw -> {
                assertThat(raw).contains("Content-Type: application/pkcs7-mime");
                assertThat(raw).doesNotContain("Final-Recipient", "bob@partner.example", "outbound-bounce", "secret");
            });
            assertThat(exchange.commands()).contains("MAIL FROM:<>", "RCPT TO:<alice@example.com>");
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

    /** The one message the outbound relay (standing for the internet) got within 30 seconds: the bounce notice. */
    private static String noticeSentOut(ScriptedUpstream world, GatewayProcess veil) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (world.messages().isEmpty() && System.nanoTime() < deadline) {
            GatewayProcess.sleep(100);
        }
        assertThat(world.messages()).as("the notice reached the outbound relay; log:\n%s", veil.logTail()).hasSize(1);
        return world.messages().get(0);
    }
}
