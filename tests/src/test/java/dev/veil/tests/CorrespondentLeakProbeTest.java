package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import dev.veil.tests.support.ExchangeAndVeil;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.MessageText;
import dev.veil.tests.support.SmtpSubmit;
import dev.veil.tests.support.Tools;
import jakarta.mail.Header;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Black-box probes of correspondent pseudonymisation with hostile and odd input, through a real Veil into GreenMail
 * (Exchange). Two rules pseudonymise: {@code alice@example.com} is encrypted, {@code plain@example.com} passes
 * unencrypted with its header rewritten. Whatever Exchange stores — raw bytes, every decoded header value and every
 * decoded part — must not name the correspondents; a message that cannot be pseudonymised must wait.
 */
class CorrespondentLeakProbeTest {
    static final String POLICY = CorrespondentsEndToEndTest.POLICY.replace("rules:\n", """
            rules:
              - name: plain
                match:
                  recipient: plain@example.com
                pass:
                  reason: probe of the unencrypted pseudonymised path
                pseudonymise:
                  correspondents: true
                  alias-domain: alias.example.net
                  display-name: "Correspondent {token}"

            """);
    /** Pieces of the correspondents that Exchange must never see (none can occur in base64). */
    static final List<String> FORBIDDEN = List.of("partner.example", "xerxesleak", "yolandaleak", "zacharyleak",
            "192.0.2.", "leakyhost");

    @TempDir
    static Path dir;
    static ExchangeAndVeil started;
    static GreenMail exchange;
    static GatewayProcess veil;
    static Path escrow;

    @BeforeAll
    static void start() throws Exception {
        assertThat(POLICY).contains("name: plain");
        started = ExchangeAndVeil.start(dir.resolve("veil-data"), POLICY);
        exchange = started.exchange();
        veil = started.veil();
        escrow = started.exportEscrow(dir.resolve("escrow"));
    }

    @AfterAll
    static void stop() {
        if (started != null) {
            started.close();
        }
    }

    static String header(String... lines) {
        return String.join("\r\n", lines) + "\r\n";
    }

    /** A Date field with free text after the date (not a comment) must not carry it outside. */
    @Test
    void freeTextInTheDateFieldStaysInside() throws Exception {
        String data = header(
                "From: Xerxes <xerxesleak@partner.example>",
                "To: Alice <alice@example.com>, plain@example.com",
                "Subject: date probe",
                "Date: Mon, 1 Jan 2024 10:00:00 +0000 xerxesleak@partner.example via leakyhost [192.0.2.9]",
                "Message-ID: <date-probe@example.org>",
                "",
                "Hello.");
        deliverToBothRules("xerxesleak@partner.example", data);
    }

    /** A date with only a comment keeps the date; an unreadable one is left out rather than shown. */
    @Test
    void aWellFormedDateStaysAndAGarbledOneIsLeftOut() throws Exception {
        String good = header(
                "From: xerxesleak@partner.example",
                "To: alice@example.com",
                "Subject: date probe 2",
                "Date: Tue, 2 Jan 2024 10:00:00 +0100 (from xerxesleak at leakyhost)",
                "",
                "Hello.");
        for (String to : List.of("alice@example.com", "plain@example.com")) {
            MimeMessage arrived = deliver("xerxesleak@partner.example", to, good);
            assertNothingLeaks(to, arrived);
            assertThat(arrived.getHeader("Date")[0]).isEqualTo("Tue, 2 Jan 2024 10:00:00 +0100");
        }
        String garbled = header(
                "From: xerxesleak@partner.example",
                "To: alice@example.com",
                "Subject: date probe 3",
                "Date: sent by Xerxesleak Partner",
                "",
                "Hello.");
        deliverToBothRules("xerxesleak@partner.example", garbled);
    }

    /**
     * Everything odd at once: groups, encoded-word names that hold addresses, comments with addresses, an obsolete
     * route, Sender unlike From, two From fields, Resent-*, receipt requests, List-*, a long folded Cc, odd
     * Message-IDs, and a forwarded message/rfc822 part (encrypted rule only: a pass rule shows its body).
     */
    @Test
    void aKitchenSinkHeaderShowsNoCorrespondent() throws Exception {
        StringBuilder longCc = new StringBuilder("Cc: ");
        for (int i = 0; i < 40; i++) {
            longCc.append(i == 0 ? "" : ",\r\n  ").append("\"Yolanda ").append(i).append("\" <yolandaleak")
                    .append(i).append("@sub").append(i).append(".partner.example>");
        }
        String b64name = "=?UTF-8?B?" + java.util.Base64.getEncoder().encodeToString(
                "Xerxes <xerxesleak@partner.example>".getBytes(StandardCharsets.UTF_8)) + "?=";
        String headerPart = header(
                "Received: from leakyhost.partner.example ([192.0.2.7]) by mx",
                "Return-Path: <xerxesleak@partner.example>",
                "From: " + b64name + " <xerxesleak@partner.example>",
                "From: (xerxesleak@partner.example) Zachary <zacharyleak@partner.example>",
                "Sender: \"zacharyleak@partner.example\" <zacharyleak@leakyhost.partner.example>",
                "Reply-To: <@leakyhost.partner.example,@relay.partner.example:xerxesleak@partner.example>",
                "To: Team: Alice <alice@example.com>, plain@example.com, yolandaleak@partner.example;,",
                " \"=?iso-8859-1?Q?Zachary_=40_partner=2Eexample?=\" <alice@example.com>",
                "To: undisclosed-recipients:;",
                longCc.toString(),
                "Resent-From: xerxesleak@partner.example",
                "Resent-To: alice@example.com",
                "Resent-Message-ID: <resent@leakyhost.partner.example>",
                "Disposition-Notification-To: xerxesleak@partner.example",
                "Return-Receipt-To: xerxesleak@partner.example",
                "List-Id: Partners <partners.list.partner.example>",
                "List-Post: <mailto:xerxesleak@partner.example>",
                "Errors-To: xerxesleak@partner.example",
                "X-Original-To: xerxesleak@partner.example",
                "Subject: kitchen sink",
                "Date: Mon, 1 Jan 2024 10:00:00 +0000 (CET)",
                "Message-ID: <\"xerxesleak@partner.example\"@leakyhost.partner.example> (leakyhost)",
                "In-Reply-To: xerxesleak@partner.example",
                "References: <a@leakyhost.partner.example> (xerxesleak) <b@[192.0.2.4]> <c@partner.example",
                "MIME-Version: 1.0");
        String sealed = headerPart + header(
                "Content-Type: multipart/mixed; boundary=\"b1\"",
                "",
                "--b1",
                "Content-Type: text/plain",
                "",
                "See the forwarded message.",
                "--b1",
                "Content-Type: message/rfc822",
                "",
                "From: yolandaleak@partner.example",
                "To: xerxesleak@partner.example",
                "Subject: inner",
                "",
                "inner body",
                "--b1--");
        MimeMessage arrived = deliver("xerxesleak@partner.example", "alice@example.com", sealed);
        assertNothingLeaks("alice@example.com", arrived);
        assertThat(arrived.getHeader("From")).hasSize(2);

        String passed = headerPart + header("Content-Type: text/plain", "", "Hello.");
        MimeMessage rewritten = deliver("xerxesleak@partner.example", "plain@example.com", passed);
        assertNothingLeaks("plain@example.com", rewritten);
        assertThat(rewritten.getHeader("Resent-From")).isNull();
        assertThat(rewritten.getHeader("Disposition-Notification-To")).isNull();
    }

    /** A Cc of 1,200 partners (each alias is longer than the address it replaces) still goes through, all aliased. */
    @Test
    void aVeryLongAddressListIsPseudonymisedAndRelayed() throws Exception {
        StringBuilder cc = new StringBuilder("Cc: ");
        for (int i = 0; i < 1200; i++) {
            cc.append(i == 0 ? "" : ",\r\n ").append("y").append(i).append("@partner.example");
        }
        String data = header("From: xerxesleak@partner.example", "To: alice@example.com", cc.toString(),
                "Subject: many", "Date: Mon, 1 Jan 2024 10:00:00 +0000", "", "Hello.");
        for (String to : List.of("alice@example.com", "plain@example.com")) {
            MimeMessage arrived = deliver("xerxesleak@partner.example", to, data);
            assertNothingLeaks(to, arrived);
            assertThat(InternetAddress.parseHeader(arrived.getHeader("Cc")[0], false)).hasSize(1200);
        }
    }

    /**
     * An address written as the display name, unquoted ({@code bob@x <bob@x>}, as some mailers write From): not RFC
     * 5322, but the address is in the brackets. It was refused as unreadable, so the message waited until it bounced;
     * now it is relayed, the name replaced like any other (and a protected user's name with an '@' left out).
     */
    @Test
    void anAddressWrittenAsTheDisplayNameIsRelayedUnderItsAlias() throws Exception {
        String data = header(
                "From: xerxesleak@partner.example <xerxesleak@partner.example>",
                "To: alice@example.com <alice@example.com>",
                "Cc: zacharyleak@partner.example zacharyleak@partner.example <zacharyleak@partner.example>",
                "Subject: names",
                "Date: Mon, 1 Jan 2024 10:00:00 +0000",
                "",
                "Hello.");
        deliverToBothRules("xerxesleak@partner.example", data);
    }

    /** A protected address whose (quoted) local part is an external address names the correspondent. */
    @Test
    void aProtectedAddressWithAnExternalAddressAsItsLocalPartIsNotShown() throws Exception {
        String data = header(
                "From: \"xerxesleak@partner.example\"@example.com",
                "To: alice@example.com",
                "Cc: \"zacharyleak@partner.example\"@Example.COM",
                "Reply-To: yolandaleak%partner.example@example.com",
                "Subject: forwarded",
                "Date: Mon, 1 Jan 2024 10:00:00 +0000",
                "",
                "Hello.");
        deliverToBothRules("xerxesleak%partner.example@example.com", data);
    }

    /**
     * Mail a forwarder in the protected domain passed on with SRS: the envelope sender (Return-Path) and a Sender
     * naming it are the correspondent's address in SRS form, and are pseudonymised.
     */
    @Test
    void anSrsAddressInTheProtectedDomainIsNotShown() throws Exception {
        String srs = "SRS0=HHH=TT=partner.example=xerxesleak@example.com";
        String data = header("From: Xerxes <xerxesleak@partner.example>", "Sender: " + srs, "To: alice@example.com",
                "Subject: forwarded by the list", "Date: Mon, 1 Jan 2024 10:00:00 +0000", "", "Hello.");
        deliverToBothRules(srs, data);
    }

    /**
     * A bounce (multipart/report) from a partner's server: its report stays inside. (Sent from the postmaster, not
     * the null sender: GreenMail refuses RCPT after {@code MAIL FROM:<>}.)
     */
    @Test
    void aDeliveryReportFromAPartnerShowsNothing() throws Exception {
        String data = header(
                "From: Mail Delivery System <MAILER-DAEMON@leakyhost.partner.example>",
                "To: alice@example.com",
                "Subject: Undelivered Mail Returned to Sender",
                "Date: Mon, 1 Jan 2024 10:00:00 +0000",
                "Message-ID: <dsn1@leakyhost.partner.example>",
                "Auto-Submitted: auto-replied",
                "MIME-Version: 1.0",
                "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r1\"",
                "",
                "--r1",
                "Content-Type: text/plain",
                "",
                "could not deliver to xerxesleak@partner.example",
                "--r1",
                "Content-Type: message/delivery-status",
                "",
                "Reporting-MTA: dns; leakyhost.partner.example",
                "",
                "Final-Recipient: rfc822; xerxesleak@partner.example",
                "Action: failed",
                "Status: 5.1.1",
                "--r1--");
        MimeMessage arrived = deliver("postmaster@leakyhost.partner.example", "alice@example.com", data);
        assertNothingLeaks("alice@example.com", arrived);
    }

    /** A From, Sender or Reply-To that cannot be read waits (deferred, with the reason); Exchange gets nothing. */
    @Test
    void unreadableAddressFieldsWaitInsteadOfLeaking() throws Exception {
        List<String> bad = List.of(
                "From: \"Xerxes <xerxesleak@partner.example>",
                "From: Xerxes <xerxesleak@partner.example",
                "Reply-To: Team: Inner: xerxesleak@partner.example;;",
                "Sender: (xerxesleak@partner.example");
        for (String field : bad) {
            for (String to : List.of("alice@example.com", "plain@example.com")) {
                String data = header(field, "To: alice@example.com", "Subject: bad", "", "Hello.");
                int before = exchange.getReceivedMessages().length;
                SmtpSubmit.Reply reply = SmtpSubmit.send(veil.smtpPort(), "xerxesleak@partner.example", to, data);
                assertThat(reply.code()).isEqualTo(250);
                Map<String, Object> entry = veil.awaitState(reply.queueId(), "deferred", Duration.ofSeconds(60));
                assertThat((String) entry.get("lastError")).as(field).contains("pseudonymisation failed");
                assertThat(exchange.getReceivedMessages()).as(field).hasSize(before);
            }
        }
    }

    /**
     * A To or Cc that cannot be read shows as undisclosed-recipients, encrypted or not, and the message goes on: no retry
     * would read it. Before, it waited until it bounced.
     */
    @Test
    void unreadableRecipientFieldsShowAsUndisclosedRecipients() throws Exception {
        for (String field : List.of("To: alice@example.com, (xerxesleak@partner.example",
                "Cc: Team: Inner: xerxesleak@partner.example;;", "Cc: \"Xerxes <xerxesleak@partner.example>")) {
            for (String to : List.of("alice@example.com", "plain@example.com")) {
                MimeMessage arrived = deliver("xerxesleak@partner.example", to,
                        header(field, "To: " + to, "Subject: bad", "", "Hello."));
                assertNothingLeaks(to, arrived);
                String name = field.substring(0, field.indexOf(':'));
                assertThat(arrived.getHeader(name)).as(field).contains("undisclosed-recipients:;");
            }
        }
    }

    /** The one message Exchange stored for this submission (GreenMail lists messages by mailbox, not in order). */
    private static MimeMessage deliver(String envelopeFrom, String to, String data) throws Exception {
        java.util.Set<MimeMessage> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        seen.addAll(List.of(exchange.getReceivedMessages()));
        SmtpSubmit.Reply reply = SmtpSubmit.send(veil.smtpPort(), envelopeFrom, to, data);
        assertThat(reply.code()).as(reply.text()).isEqualTo(250);
        veil.awaitState(reply.queueId(), "relayed", Duration.ofSeconds(60));
        List<MimeMessage> added = new ArrayList<>();
        for (MimeMessage m : exchange.getReceivedMessages()) {
            if (!seen.contains(m)) {
                added.add(m);
            }
        }
        assertThat(added).hasSize(1);
        return added.get(0);
    }

    /** The message to a user of the encrypting rule and to one of the pass rule; neither copy names a correspondent. */
    private static void deliverToBothRules(String sender, String data) throws Exception {
        for (String to : List.of("alice@example.com", "plain@example.com")) {
            assertNothingLeaks(to, deliver(sender, to, data));
        }
    }

    /** Raw bytes, every decoded part and every decoded header value: none may name a correspondent. */
    private static void assertNothingLeaks(String to, MimeMessage arrived) throws Exception {
        byte[] raw = MessageText.bytes(arrived);
        List<String> views = new ArrayList<>(MessageText.observable(raw));
        views.add(new String(raw, StandardCharsets.UTF_8));
        for (Enumeration<Header> e = arrived.getAllHeaders(); e.hasMoreElements(); ) {
            Header h = e.nextElement();
            views.add(h.getName() + ": " + MimeUtility.decodeText(MimeUtility.unfold(h.getValue())));
        }
        for (String view : views) {
            String lower = view.toLowerCase(Locale.ROOT);
            for (String forbidden : FORBIDDEN) {
                assertThat(lower).as("what Exchange stored for " + to + " (must not hold " + forbidden + ")")
                        .doesNotContain(forbidden);
            }
        }
        if (to.equals("alice@example.com")) {
            assertThat(MessageText.isEncrypted(raw)).as(new String(raw, StandardCharsets.ISO_8859_1)).isTrue();
            Path in = Files.createTempFile(dir, "sealed", ".eml");
            Path out = Files.createTempFile(dir, "opened", ".eml");
            Files.write(in, raw);
            Tools.opensslDecrypt(in, out, escrow.resolve("escrow-key.pem"), escrow.resolve("escrow-cert.pem"))
                    .orFail("openssl cms -decrypt");
            assertThat(Files.readString(out, StandardCharsets.ISO_8859_1)).contains("partner.example");
        }
        String[] from = arrived.getHeader("From");
        if (from != null) {
            for (InternetAddress a : InternetAddress.parseHeader(String.join(",", from), false)) {
                assertThat(a.getAddress()).doesNotContain("partner");
            }
        }
    }
}
