package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.ScriptedUpstream;
import dev.veil.tests.support.SmtpSubmit;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outbound mail that got a 250 survives SIGKILL in the middle of its relay and leaves exactly once after restart. */
class OutboundDurabilityTest {
    @TempDir
    Path dir;

    @Test
    void acknowledgedOutboundMailSurvivesSigkillDuringRelayAndIsRelayedExactlyOnce() throws Exception {
        int relayPort = GatewayProcess.freePort();
        GatewayProcess veil = GatewayProcess.withKeys(dir.resolve("veil-data")).outboundRelaySmtp(relayPort)
                .set("outbound.relay.readTimeout", "120s");
        List<String> ids = new ArrayList<>();
        // the relay accepts connections and never answers: every worker hangs mid-relay
        try (ScriptedUpstream blackHole = new ScriptedUpstream(relayPort, ScriptedUpstream.Mode.BLACK_HOLE, null)) {
            veil.start();
            for (int i = 0; i < 8; i++) {
                SmtpSubmit.Reply reply = SmtpSubmit.send(veil.outboundPort(), "alice@example.com", "bob@partner.example",
                        "From: alice@example.com\r\nTo: bob@partner.example\r\nSubject: outbound " + i
                                + "\r\nMessage-ID: <outbound-" + i + "@example.com>\r\n\r\nreply " + i + "\r\n");
                assertThat(reply.code()).isEqualTo(250);
                ids.add(reply.queueId());
            }
            Thread.sleep(1000);
            assertThat(blackHole.connections()).as("the relay was being talked to when killed").isPositive();
            assertThat(veil.queue()).extracting(e -> e.get("state")).doesNotContain("relayed");
            veil.kill();
        }
        GreenMail world = new GreenMail(new ServerSetup(relayPort, "127.0.0.1", "smtp"));
        world.start();
        try {
            veil.start();
            assertThat(world.waitForIncomingEmail(60_000, 8)).as("all 8 relayed after restart").isTrue();
            for (String id : ids) {
                Map<String, Object> entry = veil.awaitState(id, "relayed", Duration.ofSeconds(20));
                assertThat(entry.get("direction")).isEqualTo("outbound");
            }
            Thread.sleep(2000);
            Map<String, Integer> perMessageId = new HashMap<>();
            for (MimeMessage m : world.getReceivedMessages()) {
                perMessageId.merge(m.getMessageID(), 1, Integer::sum);
            }
            assertThat(perMessageId).hasSize(8).allSatisfy((id, count) -> assertThat(count).isEqualTo(1));
            try (Stream<Path> left = Files.list(dir.resolve("veil-data").resolve("spool").resolve("queue"))) {
                // the notes of settled messages (empty files) stay until the next checkpoint, a few seconds
                assertThat(left.map(p -> p.getFileName().toString())
                        .filter(n -> !n.endsWith(".relayed") && !n.endsWith(".bounced"))).isEmpty();
            }
        } finally {
            veil.close();
            world.stop();
        }
    }
}
