package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.SmtpSubmit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mail loop through Veil itself (its upstream is its own inbound listener, as a misconfigured connector pair makes
 * it) ends at {@code smtp.maxHops}, whatever the rule does to the header. A black-box probe's loop under a pass rule
 * that pseudonymises never ended: the rewrite dropped every Received field, Veil's own included, so the count never
 * rose (8,851 relays a minute, a new alias for the previous alias each time, until Veil was killed); and mail encrypted
 * again each round only stopped when it outgrew the size limit.
 */
class MailLoopTest {
    private static final int MAX_HOPS = 6;
    private static final String POLICY = CorrespondentLeakProbeTest.POLICY.replace("rules:\n", """
            rules:
              - name: again
                match:
                  recipient: again@example.com
                encrypt:
                  format: smime
                  to: [recipient, escrow]
                  already-encrypted: encrypt
                pseudonymise:
                  correspondents: true
                  alias-domain: alias.example.net

            """);

    @TempDir
    Path dir;

    @Test
    void aLoopThroughVeilEndsAtMaxHopsUnderPassEncryptAndEncryptAgainRules() throws Exception {
        assertThat(POLICY).contains("name: plain", "name: again");
        Path data = dir.resolve("veil-data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("policy.yml"), POLICY);
        GatewayProcess veil = GatewayProcess.withKeys(data).set("smtp.maxHops", "" + MAX_HOPS);
        veil.upstreamSmtp(veil.smtpPort());
        try (GatewayProcess running = veil.start()) {
            assertThat(running.smtpPort()).as("the upstream is Veil's own listener").isEqualTo(veil.smtpPort());
            for (String recipient : List.of("plain@example.com", "bob@example.com", "again@example.com")) {
                java.util.Set<Object> before = running.queue().stream().map(e -> e.get("id"))
                        .collect(java.util.stream.Collectors.toSet());
                SmtpSubmit.send(running.smtpPort(), "alice@partner.example", recipient,
                        SmtpSubmit.message("loop to " + recipient, recipient, "round and round"));
                List<Map<String, Object>> rounds = awaitQuiet(running, before);
                // every pass is one queue entry: the first MAX_HOPS - 1 are relayed into Veil again, the last one's
                // relay is refused (554 5.4.6) and it bounces
                assertThat(rounds).as(recipient + ": " + rounds).hasSize(MAX_HOPS);
                assertThat(rounds.stream().filter(e -> "relayed".equals(e.get("state")))).hasSize(MAX_HOPS - 1);
                Map<String, Object> last = rounds.stream().filter(e -> "bounced".equals(e.get("state"))).findFirst()
                        .orElseThrow(() -> new AssertionError(recipient + ": no bounce in " + rounds));
                assertThat((String) last.get("lastError")).contains("5.4.6");
            }
        }
    }

    /** The inbound entries not in {@code before}, once no new one has come for two seconds (at most a minute). */
    private static List<Map<String, Object>> awaitQuiet(GatewayProcess veil, java.util.Set<Object> before)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int seen = -1;
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            List<Map<String, Object>> all = veil.queue();
            boolean open = all.stream().anyMatch(e -> List.of("received", "processing", "deferred")
                    .contains(e.get("state")));
            if (all.size() != seen || open) {
                seen = all.size();
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > Duration.ofSeconds(2).toNanos()) {
                // the bounce notice to the outside sender is an entry of its own (outbound)
                return all.stream().filter(e -> !before.contains(e.get("id")))
                        .filter(e -> !"outbound".equals(e.get("direction"))).toList();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the loop did not end within a minute: " + veil.queue().size() + " queue entries");
    }
}
