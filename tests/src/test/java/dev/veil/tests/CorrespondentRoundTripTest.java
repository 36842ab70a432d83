package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.veil.tests.support.Corpus;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.RawSmtp;
import dev.veil.tests.support.SmtpSubmit;
import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole correspondent round trip through one Veil process: Bob's mail reaches Exchange (GreenMail) from an
 * alias with a tokenised Message-ID; Alice's reply to that alias, submitted on the outbound listener, reaches
 * Bob (a second GreenMail, "the internet") at his real address, with real addresses and threading headers and no
 * trace of the alias domain; Bob's answer to it names Alice's reply by its real id in Exchange's copy. So does his
 * answer to a reply that was already encrypted when it reached Veil, until {@code outbound.keepSentIds} has passed.
 * An alias Veil never issued is refused.
 */
class CorrespondentRoundTripTest {
    private static final String ALIAS_DOMAIN = CorrespondentsEndToEndTest.ALIAS_DOMAIN;

    @TempDir
    Path dir;

    @Test
    void aReplyToAnAliasReachesTheRealPersonInTheRightThread() throws Exception {
        withVeil((veil, exchange, internet) -> {
            String original = "From: Bob Partner <bob@partner.example>\r\n"
                    + "To: Alice <alice@example.com>\r\n"
                    + "Subject: the plan\r\n"
                    + "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
                    + "Message-ID: <rt1@mail.partner.example>\r\n"
                    + "\r\n"
                    + "Shall we meet at noon?\r\n";
            String inboundId = SmtpSubmit.send(veil.smtpPort(), "bob@partner.example", "alice@example.com", original).queueId();
            veil.awaitState(inboundId, "relayed", Duration.ofSeconds(60));
            MimeMessage stored = exchange.getReceivedMessages()[0];
            String alias = ((InternetAddress) stored.getFrom()[0]).getAddress();
            String token = stored.getMessageID();
            assertThat(alias).endsWith("@" + ALIAS_DOMAIN).doesNotContain("partner");
            assertThat(token).endsWith("@" + ALIAS_DOMAIN + ">");
            assertThat(raw(stored).toLowerCase(Locale.ROOT)).doesNotContain("partner.example");

            // Outlook's reply, as Exchange's outbound connector hands it to Veil
            String reply = "From: Alice <alice@example.com>\r\n"
                    + "To: " + stored.getHeader("From")[0] + "\r\n"
                    + "Subject: Re: [encrypted]\r\n"
                    + "Date: Mon, 1 Jan 2024 11:00:00 +0000\r\n"
                    + "Message-ID: <reply1@example.com>\r\n"
                    + "In-Reply-To: " + token + "\r\n"
                    + "References: " + token + "\r\n"
                    + "\r\n"
                    + "Noon is fine.\r\n";
            SmtpSubmit.Reply accepted = SmtpSubmit.send(veil.outboundPort(), "alice@example.com", alias, reply);
            assertThat(accepted.code()).isEqualTo(250);
            veil.awaitState(accepted.queueId(), "relayed", Duration.ofSeconds(60));

            assertThat(internet.waitForIncomingEmail(10_000, 1)).isTrue();
            MimeMessage delivered = internet.getReceivedMessages()[0];
            Address[] to = delivered.getRecipients(Message.RecipientType.TO);
            assertThat(Arrays.stream(to).map(a -> ((InternetAddress) a).getAddress()))
                    .containsExactly("bob@partner.example");
            // the label Exchange showed for Bob does not reach Bob
            assertThat(stored.getHeader("From")[0]).startsWith("Correspondent ");
            assertThat(delivered.getHeader("To")[0]).isEqualTo("<bob@partner.example>");
            assertThat(delivered.getHeader("In-Reply-To")[0]).isEqualTo("<rt1@mail.partner.example>");
            assertThat(delivered.getHeader("References")[0]).isEqualTo("<rt1@mail.partner.example>");
            assertThat(delivered.getMessageID()).isEqualTo("<reply1@example.com>");
            assertThat(raw(delivered).toLowerCase(Locale.ROOT)).doesNotContain(ALIAS_DOMAIN);
            // GreenMail files a message under each envelope recipient: Bob's real address is the envelope's
            assertThat(internet.getReceivedMessagesForDomain("partner.example")).hasSize(1);

            // Bob answers Alice's reply: the id Veil relayed out for her stays as it is in Exchange's copy (Exchange made
            // it; a token would break the conversation), his own ids and one Veil never sent become tokens
            String answer = "From: Bob Partner <bob@partner.example>\r\n"
                    + "To: Alice <alice@example.com>\r\n"
                    + "Subject: Re: the plan\r\n"
                    + "Date: Mon, 1 Jan 2024 12:00:00 +0000\r\n"
                    + "Message-ID: <rt2@mail.partner.example>\r\n"
                    + "In-Reply-To: <reply1@example.com>\r\n"
                    + "References: <rt1@mail.partner.example> <reply1@example.com> <never-sent@example.com>\r\n"
                    + "\r\n"
                    + "See you.\r\n";
            String answerId = SmtpSubmit.send(veil.smtpPort(), "bob@partner.example", "alice@example.com", answer).queueId();
            veil.awaitState(answerId, "relayed", Duration.ofSeconds(60));
            MimeMessage answered = exchange.getReceivedMessages()[1];
            assertThat(answered.getHeader("In-Reply-To")[0]).isEqualTo("<reply1@example.com>");
            String[] references = answered.getHeader("References")[0].split("\\s+");
            assertThat(references).hasSize(3);
            assertThat(references[0]).isEqualTo(token);
            assertThat(references[1]).isEqualTo("<reply1@example.com>");
            assertThat(references[2]).endsWith("@" + ALIAS_DOMAIN + ">").doesNotContain("never-sent");
            assertThat(raw(answered).toLowerCase(Locale.ROOT)).doesNotContain("partner.example").doesNotContain("rt2@");

            // Alice's second reply is already encrypted when it reaches Veil (Outlook, her S/MIME key, to Bob's
            // certificate): it passes as it is, its header is restored like any other, and its id is recorded as sent
            String smime = new String(Corpus.asSmtpData(Files.readAllBytes(
                    Corpus.root().resolve("mail/smime-thunderbird-enveloped.eml"))), StandardCharsets.ISO_8859_1);
            String ciphertext = smime.substring(smime.indexOf("\r\n\r\n") + 4);
            String encryptedReply = "From: Alice <alice@example.com>\r\n"
                    + "To: " + stored.getHeader("From")[0] + "\r\n"
                    + "Subject: Re: the plan\r\n"
                    + "Date: Mon, 1 Jan 2024 12:30:00 +0000\r\n"
                    + "Message-ID: <reply2@example.com>\r\n"
                    + "In-Reply-To: " + token + "\r\n"
                    + "MIME-Version: 1.0\r\n"
                    + "Content-Type: application/pkcs7-mime; name=\"smime.p7m\"; smime-type=enveloped-data\r\n"
                    + "Content-Transfer-Encoding: base64\r\n"
                    + "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
                    + "\r\n"
                    + ciphertext;
            SmtpSubmit.Reply acceptedEncrypted = SmtpSubmit.send(veil.outboundPort(), "alice@example.com", alias,
                    encryptedReply);
            assertThat(acceptedEncrypted.code()).isEqualTo(250);
            veil.awaitState(acceptedEncrypted.queueId(), "relayed", Duration.ofSeconds(60));
            assertThat(internet.waitForIncomingEmail(10_000, 2)).isTrue();
            MimeMessage deliveredEncrypted = internet.getReceivedMessages()[1];
            assertThat(deliveredEncrypted.getMessageID()).isEqualTo("<reply2@example.com>");
            assertThat(deliveredEncrypted.getHeader("In-Reply-To")[0]).isEqualTo("<rt1@mail.partner.example>");
            assertThat(((InternetAddress) deliveredEncrypted.getRecipients(Message.RecipientType.TO)[0]).getAddress())
                    .isEqualTo("bob@partner.example");
            String deliveredRaw = raw(deliveredEncrypted);
            assertThat(deliveredRaw.substring(deliveredRaw.indexOf("\r\n\r\n") + 4).replace("\r\n", ""))
                    .isEqualTo(ciphertext.replace("\r\n", "")); // Bob's ciphertext, not encrypted again
            assertThat(deliveredRaw.toLowerCase(Locale.ROOT)).doesNotContain(ALIAS_DOMAIN);
            String answerToEncrypted = "From: Bob Partner <bob@partner.example>\r\n"
                    + "To: Alice <alice@example.com>\r\n"
                    + "Subject: Re: the plan\r\n"
                    + "Date: Mon, 1 Jan 2024 13:00:00 +0000\r\n"
                    + "Message-ID: <rt3@mail.partner.example>\r\n"
                    + "In-Reply-To: <reply2@example.com>\r\n"
                    + "References: <rt1@mail.partner.example> <reply2@example.com>\r\n"
                    + "\r\n"
                    + "Got it.\r\n";
            String answerToEncryptedId = SmtpSubmit.send(veil.smtpPort(), "bob@partner.example", "alice@example.com",
                    answerToEncrypted).queueId();
            veil.awaitState(answerToEncryptedId, "relayed", Duration.ofSeconds(60));
            MimeMessage answeredEncrypted = exchange.getReceivedMessages()[2];
            assertThat(answeredEncrypted.getHeader("In-Reply-To")[0]).isEqualTo("<reply2@example.com>");
            assertThat(answeredEncrypted.getHeader("References")[0].split("\\s+"))
                    .containsExactly(token, "<reply2@example.com>");

            // anyone becomes a correspondent by writing to Alice; whoever may submit outbound (Exchange) must not be
            // able to send such a correspondent the tokens of Bob's thread and read the real ids back
            String mallorysNote = "From: Mallory <mallory@elsewhere.example>\r\nTo: alice@example.com\r\n"
                    + "Subject: hello\r\nMessage-ID: <m1@elsewhere.example>\r\n\r\nhi\r\n";
            String malloryIn = SmtpSubmit.send(veil.smtpPort(), "mallory@elsewhere.example", "alice@example.com",
                    mallorysNote).queueId();
            veil.awaitState(malloryIn, "relayed", Duration.ofSeconds(60));
            MimeMessage fromMallory = exchange.getReceivedMessages()[3];
            String malloryAlias = ((InternetAddress) fromMallory.getFrom()[0]).getAddress();
            String harvest = "From: Alice <alice@example.com>\r\nTo: " + malloryAlias + "\r\nSubject: ids\r\n"
                    + "Message-ID: <harvest@example.com>\r\nIn-Reply-To: " + fromMallory.getMessageID() + "\r\n"
                    + "References: " + token + " " + fromMallory.getMessageID() + "\r\n\r\nids?\r\n";
            SmtpSubmit.Reply harvested = SmtpSubmit.send(veil.outboundPort(), "alice@example.com", malloryAlias,
                    harvest);
            veil.awaitState(harvested.queueId(), "relayed", Duration.ofSeconds(60));
            assertThat(internet.waitForIncomingEmail(10_000, 3)).isTrue();
            MimeMessage toMallory = internet.getReceivedMessagesForDomain("elsewhere.example")[0];
            assertThat(toMallory.getHeader("In-Reply-To")[0]).as("Mallory's own id").isEqualTo("<m1@elsewhere.example>");
            assertThat(toMallory.getHeader("References")[0].split("\\s+"))
                    .as("Bob's id stays a token: Mallory took no part in that message")
                    .containsExactly(token, "<m1@elsewhere.example>");
            assertThat(raw(toMallory).toLowerCase(Locale.ROOT)).doesNotContain("partner.example");

            // Alice's read receipt (RFC 8098) to Bob: the report part names Bob's message by its real id, so his mail
            // program can match it (a black-box probe's kept the token); its human-readable part names Bob by his address
            // (a probe's showed the alias)
            String receipt = "From: Alice <alice@example.com>\r\nTo: " + stored.getHeader("From")[0] + "\r\n"
                    + "Subject: Read: the plan\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report;"
                    + " report-type=disposition-notification;\r\n\tboundary=\"mdn1\"\r\n\r\n"
                    + "--mdn1\r\nContent-Type: text/plain\r\n\r\nYour message to " + alias + " was read.\r\n\r\n"
                    + "--mdn1\r\nContent-Type: message/disposition-notification\r\n\r\n"
                    + "Reporting-UA: Microsoft Outlook\r\nFinal-Recipient: rfc822;alice@example.com\r\n"
                    + "Original-Message-ID: " + token + "\r\n"
                    + "Disposition: manual-action/MDN-sent-manually; displayed\r\n\r\n--mdn1--\r\n";
            SmtpSubmit.Reply receiptSent = SmtpSubmit.send(veil.outboundPort(), "alice@example.com", alias, receipt);
            veil.awaitState(receiptSent.queueId(), "relayed", Duration.ofSeconds(60));
            assertThat(internet.waitForIncomingEmail(10_000, 4)).isTrue();
            MimeMessage readReceipt = Arrays.stream(internet.getReceivedMessages())
                    .filter(m -> { try { return "Read: the plan".equals(m.getSubject()); } catch (Exception e) {
                        return false; } }).findFirst().orElseThrow();
            assertThat(raw(readReceipt)).contains("Original-Message-ID: <rt1@mail.partner.example>")
                    .doesNotContain(ALIAS_DOMAIN);

            // outbound.keepSentIds: ids sent longer ago than that are forgotten at start (a second is long past), so
            // a reply naming Alice's first reply now shows a token for it
            veil.stop();
            veil.set("outbound.keepSentIds", "1 second").start();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!Files.readString(veil.log()).contains("forgot 3 sent Message-ID(s)") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(Files.readString(veil.log())).contains("forgot 3 sent Message-ID(s) recorded more than"
                    + " 1 second ago (outbound.keepSentIds)");
            String late = answer.replace("<rt2@mail.partner.example>", "<rt4@mail.partner.example>");
            String lateId = SmtpSubmit.send(veil.smtpPort(), "bob@partner.example", "alice@example.com", late).queueId();
            veil.awaitState(lateId, "relayed", Duration.ofSeconds(60));
            MimeMessage lateStored = exchange.getReceivedMessages()[4];
            assertThat(lateStored.getHeader("In-Reply-To")[0]).endsWith("@" + ALIAS_DOMAIN + ">")
                    .doesNotContain("reply1");

            // an alias Veil never issued, and a malformed one: 550 5.1.1 at RCPT
            try (RawSmtp smtp = RawSmtp.openEhlo(veil.outboundPort())) {
                assertThat(smtp.command("MAIL FROM:<alice@example.com>").code()).isEqualTo(250);
                RawSmtp.Reply unknown = smtp.command("RCPT TO:<c-aaaaaaaaaaaaaaaaaaaa@" + ALIAS_DOMAIN + ">");
                assertThat(unknown.code()).isEqualTo(550);
                assertThat(unknown.text()).contains("5.1.1");
                assertThat(smtp.command("RCPT TO:<not-an-alias@" + ALIAS_DOMAIN + ">").code()).isEqualTo(550);
            }
        });
    }

    /**
     * A correspondent whose address has a quoted local part, and one at an address literal, get aliases inbound like
     * anyone; the outbound listener refuses those aliases as recipients, and a reply-all that names them in Cc (and
     * in its quoted text) goes to the others with those two aliases as they were. It was held back, then bounced for
     * every recipient (a black-box probe).
     */
    @Test
    void aReplyNamingACorrespondentVeilCannotWriteToStillGoesToTheOthers() throws Exception {
        withVeil((veil, exchange, internet) -> {
            String original = "From: Bob Partner <bob@partner.example>\r\n"
                    + "To: Alice <alice@example.com>\r\n"
                    + "Cc: John <\"john..doe\"@quoted.example>, Literal <carol@[192.0.2.1]>\r\n"
                    + "Subject: the plan\r\n"
                    + "Message-ID: <q1@mail.partner.example>\r\n"
                    + "\r\n"
                    + "Shall we meet at noon?\r\n";
            String inboundId = SmtpSubmit.send(veil.smtpPort(), "bob@partner.example", "alice@example.com", original)
                    .queueId();
            veil.awaitState(inboundId, "relayed", Duration.ofSeconds(60));
            MimeMessage stored = exchange.getReceivedMessages()[0];
            String bobAlias = ((InternetAddress) stored.getFrom()[0]).getAddress();
            String cc = stored.getHeader("Cc")[0];
            assertThat(raw(stored).toLowerCase(Locale.ROOT)).doesNotContain("quoted.example")
                    .doesNotContain("192.0.2.1").doesNotContain("john");
            String[] ccAliases = Arrays.stream(stored.getRecipients(Message.RecipientType.CC))
                    .map(a -> ((InternetAddress) a).getAddress()).toArray(String[]::new);
            assertThat(ccAliases).hasSize(2).allMatch(a -> a.endsWith("@" + ALIAS_DOMAIN));

            try (RawSmtp smtp = RawSmtp.openEhlo(veil.outboundPort())) {
                assertThat(smtp.command("MAIL FROM:<alice@example.com>").code()).isEqualTo(250);
                RawSmtp.Reply refused = smtp.command("RCPT TO:<" + ccAliases[0] + ">");
                assertThat(refused.code()).isEqualTo(550);
                assertThat(refused.text()).contains("5.1.1");
            }
            String reply = "From: Alice <alice@example.com>\r\n"
                    + "To: " + stored.getHeader("From")[0] + "\r\n"
                    + "Cc: " + cc + "\r\n"
                    + "Subject: Re: the plan\r\n"
                    + "Message-ID: <qreply@example.com>\r\n"
                    + "In-Reply-To: " + stored.getMessageID() + "\r\n"
                    + "\r\n"
                    + "Noon is fine.\r\n\r\n> From: " + stored.getHeader("From")[0] + "\r\n> Cc: " + cc + "\r\n";
            SmtpSubmit.Reply accepted = SmtpSubmit.send(veil.outboundPort(), "alice@example.com", bobAlias, reply);
            assertThat(accepted.code()).isEqualTo(250);
            veil.awaitState(accepted.queueId(), "relayed", Duration.ofSeconds(60));

            assertThat(internet.waitForIncomingEmail(10_000, 1)).isTrue();
            MimeMessage delivered = internet.getReceivedMessages()[0];
            assertThat(delivered.getHeader("To")[0]).isEqualTo("<bob@partner.example>");
            assertThat(delivered.getHeader("In-Reply-To")[0]).isEqualTo("<q1@mail.partner.example>");
            assertThat(delivered.getHeader("Cc")[0]).contains(ccAliases[0], ccAliases[1]);
            assertThat(raw(delivered)).containsPattern("> From: Correspondent \\w{4} <bob@partner.example>\r\n> Cc: ");
        });
    }

    /** What a test does with one Veil between Exchange (GreenMail) and "the internet" (a second GreenMail). */
    private interface RoundTrip {
        void run(GatewayProcess veil, GreenMail exchange, GreenMail internet) throws Exception;
    }

    /** Starts both stand-ins and a Veil with the correspondents policy relaying to them, runs {@code test}, stops all. */
    private void withVeil(RoundTrip test) throws Exception {
        int exchangePort = GatewayProcess.freePort();
        int internetPort = GatewayProcess.freePort();
        GreenMail exchange = new GreenMail(new ServerSetup(exchangePort, "127.0.0.1", "smtp"));
        GreenMail internet = new GreenMail(new ServerSetup(internetPort, "127.0.0.1", "smtp"));
        exchange.start();
        internet.start();
        Path data = dir.resolve("veil-data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("policy.yml"), CorrespondentsEndToEndTest.POLICY);
        try (GatewayProcess veil = GatewayProcess.withKeys(data).upstreamSmtp(exchangePort).outboundRelaySmtp(internetPort)) {
            veil.start();
            test.run(veil, exchange, internet);
        } finally {
            exchange.stop();
            internet.stop();
        }
    }

    private static String raw(MimeMessage message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }
}
