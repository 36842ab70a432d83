package dev.veil.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.Spool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DeliveryStatusNotificationTest {
    private static final QueueId ID = new QueueId("01HZX5K3Q2ABCDEFGHJK");
    private static final String HEADER = "From: Alice <alice@sender.test>\r\nTo: bob@example.com\r\n"
            + "Subject: merger plans\r\nMessage-ID: <m1@sender.test>\r\n\r\n";
    private static final String BODY = "Secret body line one.\r\nSecret body line two.\r\n";

    @TempDir
    Path dir;
    private Spool spool;
    private Path original;

    @BeforeEach
    void setUp() throws Exception {
        spool = new Spool(dir.resolve("spool"), null, Clock.systemUTC());
        original = Files.writeString(dir.resolve("original.eml"), HEADER + BODY, StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "550 5.1.1 <bob@example.com>: user unknown | 5.1.1",
            "550 5.7.1 relaying denied                 | 5.7.1",
            "554 5.6.0 message content rejected        | 5.6.0",
            "451 4.3.0 temporary local problem         | 5.3.0",
            "4.4.7 gave up after 5 days: 451 4.4.1 busy | 5.4.7",
            "250 2.0.0 queued                          | 5.0.0",
            "550 user unknown                          | 5.0.0",
            "connection refused                        | 5.0.0",
    })
    void takesTheStatusFromTheReplyAndMakesItFinal(String reply, String status) {
        assertThat(DeliveryStatusNotification.status(reply)).isEqualTo(status);
    }

    @Test
    void reportsTheGenericFailureStatusWithoutAReply() {
        assertThat(DeliveryStatusNotification.status(null)).isEqualTo("5.0.0");
        assertThat(DeliveryStatusNotification.status("")).isEqualTo("5.0.0");
    }

    /**
     * An IP address in a reply without an enhanced code is not a status (RFC 2034 puts the code right after the
     * reply code): "10.2.3.4" must not turn into "5.3.4 message too big".
     */
    @Test
    void ignoresAnIpAddressInAReplyWithoutAnEnhancedCode() {
        assertThat(DeliveryStatusNotification.status("550 blocked: client 10.2.3.4 is listed")).isEqualTo("5.0.0");
    }

    @Test
    void writesAReportToTheSenderWithOneBlockPerFailedRecipient() throws Exception {
        Map<String, String> failures = new LinkedHashMap<>();
        failures.put("bob@example.com", "550 5.1.1 user unknown");
        failures.put("carol@example.com", "552 5.2.2 mailbox\r\nfull");

        DeliveryStatusNotification.write(spool, ID, original, "alice@sender.test", failures, "veil.test",
                Instant.parse("2030-01-02T03:04:05Z"));

        String dsn = Files.readString(spool.dsnFile(ID));
        assertThat(dsn).contains(
                "From: Mail Delivery System <MAILER-DAEMON@veil.test>\r\n",
                "To: <alice@sender.test>\r\n",
                "Auto-Submitted: auto-replied\r\n",
                "Content-Type: multipart/report; report-type=delivery-status;",
                "Content-Type: message/delivery-status\r\n",
                "Reporting-MTA: dns; veil.test\r\n",
                "X-Veil-Queue-ID: 01HZX5K3Q2ABCDEFGHJK\r\n",
                "Final-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                        + "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n",
                "Final-Recipient: rfc822; carol@example.com\r\nAction: failed\r\nStatus: 5.2.2\r\n"
                        + "Diagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n");
    }

    @Test
    void quotesTheOriginalHeaderButNotItsBody() throws Exception {
        DeliveryStatusNotification.write(spool, ID, original, "alice@sender.test",
                Map.of("bob@example.com", "550 5.1.1 user unknown"), "veil.test", Instant.now());

        String dsn = Files.readString(spool.dsnFile(ID));
        assertThat(dsn).contains("Content-Type: text/rfc822-headers\r\n\r\n" + HEADER);
        assertThat(dsn).doesNotContain("Secret body");
        assertThat(dsn).endsWith("--\r\n");
    }

    @Test
    void quotesTheHeaderOfAMessageWithBareLfLineEndings() throws Exception {
        Path lf = Files.writeString(dir.resolve("lf.eml"), "Subject: lf only\nFrom: a@b\n\nSecret body\n");

        DeliveryStatusNotification.write(spool, ID, lf, "alice@sender.test",
                Map.of("bob@example.com", "550 5.1.1 user unknown"), "veil.test", Instant.now());

        String dsn = Files.readString(spool.dsnFile(ID));
        assertThat(dsn).contains("Subject: lf only\nFrom: a@b\n").doesNotContain("Secret body");
    }

    @Test
    void writesTheReportEvenWhenTheOriginalIsGone() throws Exception {
        DeliveryStatusNotification.write(spool, ID, dir.resolve("missing.eml"), "alice@sender.test",
                Map.of("bob@example.com", "550 5.1.1 user unknown"), "veil.test", Instant.now());

        assertThat(Files.readString(spool.dsnFile(ID))).contains("Status: 5.1.1").doesNotContain("Subject: merger");
    }

    /**
     * A message that bounces in instalments gets a notice per instalment: each needs its own Message-ID, or Exchange,
     * which drops a message whose id it has seen, loses the later one.
     */
    @Test
    void everyNoticeForOneMessageHasItsOwnMessageId() throws Exception {
        Path first = DeliveryStatusNotification.write(spool, ID, original, "alice@sender.test",
                Map.of("bob@example.com", "550 5.1.1 user unknown"), "veil.test", Instant.now());
        Path second = DeliveryStatusNotification.write(spool, ID, original, "alice@sender.test",
                Map.of("carol@example.com", "4.4.7 gave up after 5 days: 451 4.3.0 busy"), "veil.test", Instant.now());

        assertThat(second).isNotEqualTo(first).hasFileName(ID.value() + "-2.eml");
        String firstId = messageId(first);
        String secondId = messageId(second);
        assertThat(firstId).isNotEqualTo(secondId);
        assertThat(firstId).startsWith("<" + ID.value() + ".").endsWith(".dsn@veil.test>");
        assertThat(secondId).startsWith("<" + ID.value() + "-2.").endsWith(".dsn@veil.test>");
    }

    private static String messageId(Path notice) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^Message-ID: (\\S+)")
                .matcher(Files.readString(notice));
        assertThat(m.find()).as("a Message-ID in %s", notice).isTrue();
        return m.group(1);
    }
}
