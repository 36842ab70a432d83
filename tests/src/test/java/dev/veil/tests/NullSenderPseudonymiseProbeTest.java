package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.ScriptedUpstream;
import dev.veil.tests.support.SmtpSubmit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partner's bounce with the null sender (a multipart/report DSN naming the partner's hosts and users), to an
 * encrypted and to a pass rule that pseudonymise: it is relayed with {@code MAIL FROM:<>} (GreenMail refuses that at
 * RCPT, so a scripted Exchange takes it), and what Exchange gets names nobody of the partner outside the encryption;
 * with the pass rule, outside the report body that such a rule shows by design.
 */
class NullSenderPseudonymiseProbeTest {
    @TempDir
    Path dir;

    @Test
    void aPartnersNullSenderReportIsRelayedFromTheNullSenderAndNamesNobody() throws Exception {
        try (ScriptedUpstream exchange = new ScriptedUpstream(GatewayProcess.freePort(), ScriptedUpstream.Mode.ACCEPT, "")) {
            Path data = dir.resolve("veil-data");
            Files.createDirectories(data);
            Files.writeString(data.resolve("policy.yml"), CorrespondentLeakProbeTest.POLICY);
            try (GatewayProcess veil = GatewayProcess.withKeys(data).upstreamSmtp(exchange.port())) {
                veil.start();
                String header = "From: Mail Delivery System <MAILER-DAEMON@leakyhost.partner.example>\r\n"
                        + "To: alice@example.com\r\n"
                        + "Subject: Undelivered Mail Returned to Sender\r\n"
                        + "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
                        + "Message-ID: <dsn2@leakyhost.partner.example>\r\n"
                        + "Auto-Submitted: auto-replied\r\n"
                        + "MIME-Version: 1.0\r\n"
                        + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r1\"\r\n"
                        + "\r\n";
                String report = "--r1\r\nContent-Type: text/plain\r\n\r\ncould not deliver to xerxesleak@partner.example\r\n"
                        + "--r1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; leakyhost.partner.example\r\n"
                        + "\r\nFinal-Recipient: rfc822; xerxesleak@partner.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                        + "--r1--\r\n";
                int n = 0;
                for (String to : List.of("alice@example.com", "plain@example.com")) {
                    SmtpSubmit.Reply reply = SmtpSubmit.send(veil.smtpPort(), "", to, header + report);
                    assertThat(reply.code()).isEqualTo(250);
                    veil.awaitState(reply.queueId(), "relayed", Duration.ofSeconds(60));
                    n++;
                    String stored = exchange.messages().get(n - 1);
                    String outside = (to.startsWith("plain") ? stored.substring(0, stored.indexOf("\r\n\r\n")) : stored)
                            .toLowerCase(Locale.ROOT);
                    for (String forbidden : CorrespondentLeakProbeTest.FORBIDDEN) {
                        assertThat(outside).as(to + ": " + stored).doesNotContain(forbidden);
                    }
                }
                assertThat(exchange.commands()).filteredOn(c -> c.startsWith("MAIL FROM"))
                        .containsOnly("MAIL FROM:<>");
            }
        }
    }
}
