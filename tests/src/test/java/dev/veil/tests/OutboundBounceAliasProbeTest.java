package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.MessageText;
import dev.veil.tests.support.ScriptedUpstream;
import dev.veil.tests.support.SmtpSubmit;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
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
 * quotes it. Its sender is Veil's MAILER-DAEMON, shown as it is: Veil is nobody's correspondent.
 */
class OutboundBounceAliasProbeTest {
    @TempDir
    Path dir;

    @Test
    void aBounceForAnEnvelopeOnlyAliasNamesTheAliasNotTheRealAddress() throws Exception {
        try (ScriptedUpstream exchange = new ScriptedUpstream(GatewayProcess.freePort(), ScriptedUpstream.Mode.ACCEPT, "");
             ScriptedUpstream internet = new ScriptedUpstream(GatewayProcess.freePort(), ScriptedUpstream.Mode.REJECT_RCPT,
                     "550 5.1.1 <xerxesleak@partner.example>: Recipient address rejected: User xerxesleak unknown"
                             + " at mx.partner.example [192.0.2.44] (xerxesleak%40partner.example; user=xerxesleak,)")) {
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
                        .doesNotContain("partner.example", "xerxesleak", "192.0.2.44")
                        .contains(alias.group(), "550 5.1.1", "status: 5.1.1");
                // the notice is Veil's own: its sender is Veil, not a correspondent with an alias and a label
                String from = notice.lines().filter(l -> l.regionMatches(true, 0, "From:", 0, 5)).findFirst()
                        .orElseThrow();
                assertThat(from).as(notice).matches("(?i)From: Mail Delivery System <MAILER-DAEMON@[^@>]+>")
                        .doesNotContain("alias.example.net");
            }
        }
    }

    /**
     * A reply to aliases written as Outlook may write them — upper case, an encoded-word name, inside a group, in
     * Reply-To, in the quoted message of its text and HTML — with a folded References of a real and a tokenised id:
     * the internet gets real addresses and ids, no trace of the alias domain, and each real recipient in the
     * envelope.
     */
    @Test
    void aReplyToAliasesInAnySpellingLeavesWithRealAddressesAndThreading() throws Exception {
        int internetPort = GatewayProcess.freePort();
        GreenMail internet = new GreenMail(new ServerSetup(internetPort, "127.0.0.1", "smtp"));
        internet.start();
        try (ScriptedUpstream exchange = new ScriptedUpstream(GatewayProcess.freePort(), ScriptedUpstream.Mode.ACCEPT, "")) {
            Path data = dir.resolve("veil-data");
            Files.createDirectories(data);
            Files.writeString(data.resolve("policy.yml"), CorrespondentLeakProbeTest.POLICY);
            try (GatewayProcess veil = GatewayProcess.withKeys(data).upstreamSmtp(exchange.port())
                    .outboundRelaySmtp(internetPort)) {
                veil.start();
                String inbound = "From: Xerxes <Xerxesleak@Partner.Example>\r\n"
                        + "To: plain@example.com\r\n"
                        + "Cc: Yolanda <yolandaleak@partner.example>\r\n"
                        + "Subject: hello\r\n"
                        + "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
                        + "Message-ID: <orig-1@mx.partner.example>\r\n"
                        + "\r\n"
                        + "Hello.\r\n";
                SmtpSubmit.Reply in = SmtpSubmit.send(veil.smtpPort(), "xerxesleak@partner.example",
                        "plain@example.com", inbound);
                veil.awaitState(in.queueId(), "relayed", Duration.ofSeconds(60));
                String stored = exchange.messages().get(0);
                Matcher m = Pattern.compile("c-[a-z2-7]{20}@alias\\.example\\.net").matcher(stored);
                List<String> aliases = new java.util.ArrayList<>();
                while (m.find()) {
                    aliases.add(m.group());
                }
                Matcher id = Pattern.compile("Message-ID: (<[^>]+>)").matcher(stored);
                assertThat(id.find()).isTrue();
                String xerxes = aliases.get(0).toUpperCase(Locale.ROOT);
                String yolanda = aliases.stream().filter(a -> !a.equalsIgnoreCase(xerxes)).findFirst().orElseThrow();

                String reply = "From: Plain <plain@example.com>\r\n"
                        + "To: =?utf-8?Q?Correspondent_=C3=A4?= <" + xerxes + ">\r\n"
                        + "Cc: Team: \"Correspondent\" <" + yolanda + ">;\r\n"
                        + "Reply-To: " + yolanda + "\r\n"
                        + "Subject: Re: hello\r\n"
                        + "Date: Mon, 1 Jan 2024 11:00:00 +0000\r\n"
                        + "Message-ID: <reply-2@example.com>\r\n"
                        + "In-Reply-To: " + id.group(1) + "\r\n"
                        + "References: <older@example.com>\r\n " + id.group(1) + "\r\n"
                        + "MIME-Version: 1.0\r\n"
                        + "Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
                        + "\r\n"
                        // Outlook quotes the message replied to, with the aliases Exchange showed
                        + "--alt\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nNoted.\r\n\r\n"
                        + "From: Correspondent X <" + xerxes + ">\r\nCc: " + yolanda + "\r\n> Hello.\r\n"
                        + "--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
                        + "\r\n\r\n<p>Noted.</p><p>From: <a href=3D\"mailto:" + xerxes + "\">Correspondent X</a></p>\r\n"
                        + "--alt--\r\n";
                try (dev.veil.tests.support.RawSmtp smtp = dev.veil.tests.support.RawSmtp.openEhlo(veil.outboundPort())) {
                    assertThat(smtp.command("MAIL FROM:<plain@example.com>").code()).isEqualTo(250);
                    assertThat(smtp.command("RCPT TO:<" + xerxes + ">").code()).isEqualTo(250);
                    assertThat(smtp.command("RCPT TO:<" + yolanda + ">").code()).isEqualTo(250);
                    assertThat(smtp.command("DATA").code()).isEqualTo(354);
                    assertThat(smtp.command(reply + ".").code()).isEqualTo(250);
                }
                veil.awaitState(veil.queue().get(0).get("id").toString(), "relayed", Duration.ofSeconds(60));
                assertThat(internet.waitForIncomingEmail(10_000, 1)).isTrue();
                assertThat(veil.queue().get(0).get("recipients").toString())
                        .isEqualTo("[xerxesleak@partner.example, yolandaleak@partner.example]");
                for (MimeMessage delivered : internet.getReceivedMessages()) {
                    String raw = new String(MessageText.bytes(delivered), StandardCharsets.ISO_8859_1);
                    assertThat(raw.toLowerCase(Locale.ROOT)).as(raw).doesNotContain("alias.example.net");
                    assertThat(delivered.getHeader("To")[0]).contains("<xerxesleak@partner.example>");
                    assertThat(delivered.getHeader("Cc")[0]).contains("<yolandaleak@partner.example>;");
                    assertThat(delivered.getHeader("Reply-To")[0]).isEqualTo("yolandaleak@partner.example");
                    assertThat(delivered.getHeader("In-Reply-To")[0]).isEqualTo("<orig-1@mx.partner.example>");
                    assertThat(delivered.getHeader("References")[0])
                            .isEqualTo("<older@example.com>\r\n <orig-1@mx.partner.example>");
                    // the quoted message names the real people, in the text and in the HTML
                    assertThat(raw).contains("From: Correspondent X <xerxesleak@partner.example>\r\n"
                            + "Cc: yolandaleak@partner.example\r\n> Hello.");
                    jakarta.mail.Multipart alternative = (jakarta.mail.Multipart) delivered.getContent();
                    assertThat((String) alternative.getBodyPart(1).getContent())
                            .isEqualTo("<p>Noted.</p><p>From: <a href=\"mailto:xerxesleak@partner.example\">"
                                    + "Correspondent X</a></p>");
                }
                assertThat(internet.getReceivedMessagesForDomain("partner.example")).as(
                        internet.getReceivedMessages().length + " stored").isNotEmpty();

                // whoever may submit (Exchange) sends itself a message holding the aliases and the token: it must
                // not read back the real people and ids behind them
                int before = internet.getReceivedMessages().length;
                String probe = "From: " + xerxes + "\r\n"
                        + "To: collector@evil.example\r\n"
                        + "Cc: " + xerxes + ", " + yolanda + "\r\n"
                        + "Reply-To: " + yolanda + "\r\n"
                        + "Subject: lookup\r\n"
                        + "Message-ID: " + id.group(1) + "\r\n"
                        + "References: " + id.group(1) + "\r\n"
                        + "\r\n"
                        + "x " + xerxes + "\r\n";
                SmtpSubmit.Reply sent = SmtpSubmit.send(veil.outboundPort(), "plain@example.com",
                        "collector@evil.example", probe);
                assertThat(sent.code()).isEqualTo(250);
                veil.awaitState(sent.queueId(), "relayed", Duration.ofSeconds(60));
                assertThat(internet.waitForIncomingEmail(10_000, before + 1)).isTrue();
                MimeMessage collected = internet.getReceivedMessagesForDomain("evil.example")[0];
                String raw = new String(MessageText.bytes(collected), StandardCharsets.ISO_8859_1);
                assertThat(raw.toLowerCase(Locale.ROOT)).as(raw)
                        .doesNotContain("partner.example", "xerxesleak", "yolandaleak")
                        .contains(xerxes.toLowerCase(Locale.ROOT), yolanda, id.group(1).toLowerCase(Locale.ROOT));
            }
        } finally {
            internet.stop();
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
