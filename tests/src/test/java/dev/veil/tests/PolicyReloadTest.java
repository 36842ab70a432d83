package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import dev.veil.config.PolicyLoader;
import dev.veil.tests.support.ExchangeAndVeil;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.SmtpSubmit;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy changes under a running gateway: mail keeps flowing, no message sees a broken or half policy. */
class PolicyReloadTest {
    @TempDir
    Path dir;

    @Test
    void mailKeepsFlowingWhileThePolicyIsRewrittenAndEveryMessageNamesAValidVersion() throws Exception {
        String a = PolicyLoader.exampleYaml();
        String b = a.replace("subject: \"[encrypted]\"", "subject: \"[sealed]\"");
        String broken = a.replace("on-error: defer", "on-error: send-anyway");
        Map<String, String> placeholderByVersion = Map.of(sha256(a), "[encrypted]", sha256(b), "[sealed]");

        Path data = dir.resolve("veil-data");
        Map<String, String> queueIdByMessageId = new ConcurrentHashMap<>();
        try (ExchangeAndVeil started = ExchangeAndVeil.start(data, a)) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil();
            AtomicBoolean sending = new AtomicBoolean(true);
            List<Throwable> sendErrors = new ArrayList<>();
            Thread sender = new Thread(() -> {
                for (int i = 0; sending.get(); i++) {
                    String id = "reload-" + i;
                    try {
                        SmtpSubmit.Reply r = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example",
                                "reader@example.com", SmtpSubmit.message(id, "reader@example.com", "secret " + i));
                        queueIdByMessageId.put("<" + id + "@partner.example>", r.queueId());
                    } catch (Throwable t) {
                        sendErrors.add(t);
                        return;
                    }
                }
            });
            sender.start();
            Path policy = data.resolve("policy.yml");
            for (int round = 0; round < 12; round++) {
                String next = round % 3 == 2 ? broken : (round % 2 == 0 ? b : a);
                Path tmp = data.resolve("policy.yml.tmp");
                Files.writeString(tmp, next);
                Files.move(tmp, policy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                if (next == broken) {
                    var refused = veil.adminPost("/policy/reload");
                    assertThat(refused.statusCode()).isEqualTo(422);
                    // the shape of every admin error, with the problems beside it (a probe found no "status"/"error")
                    assertThat(refused.body()).contains("\"status\":422").contains("\"error\":\"the policy file was"
                            + " refused; the policy in force stays: ").contains("\"problems\":[");
                    assertThat(veil.admin("/healthcheck").body()).contains("send-anyway");
                } else {
                    assertThat(veil.adminPost("/policy/reload").statusCode()).isEqualTo(200);
                }
                Thread.sleep(700);
            }
            sending.set(false);
            sender.join(30_000);
            assertThat(sendErrors).as("no message refused during reloads").isEmpty();
            int sent = queueIdByMessageId.size();
            assertThat(sent).isGreaterThan(20);
            assertThat(exchange.waitForIncomingEmail(60_000, sent)).isTrue();

            Map<String, String> subjectByMessageId = new HashMap<>();
            for (MimeMessage m : exchange.getReceivedMessages()) {
                subjectByMessageId.put(m.getMessageID(), m.getHeader("Subject")[0]);
            }
            for (Map.Entry<String, String> e : queueIdByMessageId.entrySet()) {
                String audit = veil.admin("/audit?queueId=" + e.getValue()).body();
                String version = extractVersion(audit);
                assertThat(placeholderByVersion).as("audit of " + e.getValue() + ": " + audit).containsKey(version);
                assertThat(subjectByMessageId.get(e.getKey())).as("placeholder matches the audited version")
                        .isEqualTo(placeholderByVersion.get(version));
            }
            System.out.printf("reload test: %d messages across 12 rewrites, versions used: %s%n", sent,
                    subjectByMessageId.values().stream().distinct().toList());
        }
    }

    private static String extractVersion(String auditJson) {
        int at = auditJson.indexOf("\"policyVersion\":\"");
        if (at < 0) {
            return null;
        }
        int start = at + "\"policyVersion\":\"".length();
        return auditJson.substring(start, auditJson.indexOf('"', start));
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
