package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.ScriptedUpstream;
import dev.veil.tests.support.SmtpSubmit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reply that the business sends to an alias only in the envelope (a Bcc: Exchange hands the connector the
 * recipient, not a header naming it) and that the internet refuses: the bounce notice goes back into Exchange, here
 * to a mailbox whose rule pseudonymises and passes unencrypted, so its body is what Exchange stores in clear. It must
 * name the recipient by the alias the user wrote, never by the real address — also where the remote server's reply
 * quotes it.
 */
class OutboundBounceAliasProbeTest {
    @TempDir
    Path dir;

    @Test
    void aBounceForAnEnvelopeOnlyAliasNamesTheAliasNotTheRealAddress() throws Exception {
        try (ScriptedUpstream exchange = new ScriptedUpstream(GatewayProcess.freePort(), ScriptedUpstream.Mode.ACCEPT, "");
             ScriptedUpstream internet = new ScriptedUpstream(GatewayProcess.freePort(), ScriptedUpstream.Mode.REJECT_RCPT,
                     "550 5.1.1 <xerxesleak@partner.example>: Recipient address rejected: User xerxesleak unknown"
                             + " at mx.partner.example")) {
            Path data = dir.resolve("veil-data");
            Files.createDirectories(data);
            Files.writeString(data.resolve("policy.yml"), CorrespondentLeakProbeTest.POLICY);
            try (GatewayProcess veil = GatewayProcess.withKeys(data).upstreamSmtp(exchange.port())
                    .outboundRelaySmtp(internet.port())) {
                veil.start();
                String inbound = "From: Xerxes <xerxesleak@partner.example>\r\n"
                        + "To: plain@example.com\r\n"
                        + "Subject: hello\r\n"
                        + "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
                        + "\r\n"
                        + "Hello.\r\n";
                SmtpSubmit.Reply in = SmtpSubmit.send(veil.smtpPort(), "xerxesleak@partner.example",
                        "plain@example.com", inbound);
                veil.awaitState(in.queueId(), "relayed", Duration.ofSeconds(60));
                Matcher alias = Pattern.compile("c-[a-z2-7]{20}@alias\\.example\\.net").matcher(exchange.messages().get(0));
                assertThat(alias.find()).isTrue();

                // the user Bcc'd the alias: the header names only the business
                String reply = "From: Plain <plain@example.com>\r\n"
                        + "To: Plain <plain@example.com>\r\n"
                        + "Subject: Re: hello\r\n"
                        + "Date: Mon, 1 Jan 2024 11:00:00 +0000\r\n"
                        + "Message-ID: <bcc-probe@example.com>\r\n"
                        + "\r\n"
                        + "Noted.\r\n";
                SmtpSubmit.Reply out = SmtpSubmit.send(veil.outboundPort(), "plain@example.com", alias.group(), reply);
                assertThat(out.code()).isEqualTo(250);
                veil.awaitState(out.queueId(), "bounced", Duration.ofSeconds(60));

                String notice = awaitNotice(exchange, 2);
                assertThat(notice.toLowerCase(Locale.ROOT)).as(notice)
                        .doesNotContain("partner.example", "xerxesleak")
                        .contains(alias.group());
            }
        }
    }

    private static String awaitNotice(ScriptedUpstream exchange, int count) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            List<String> messages = exchange.messages();
            if (messages.size() >= count) {
                return messages.get(count - 1);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no bounce notice reached Exchange; it has " + exchange.messages().size());
    }
}
