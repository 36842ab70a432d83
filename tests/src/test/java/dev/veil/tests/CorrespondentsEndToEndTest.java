package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import dev.veil.config.PolicyLoader;
import dev.veil.tests.support.Corpus;
import dev.veil.tests.support.ExchangeAndVeil;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.MessageText;
import dev.veil.tests.support.RawSmtp;
import dev.veil.tests.support.SmtpSubmit;
import dev.veil.tests.support.Tools;
import dev.veil.tests.support.VeilReceived;
import jakarta.mail.Header;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Correspondent pseudonymisation through a real Veil process into GreenMail (the Exchange stand-in): what Exchange
 * stores names aliases and Message-ID tokens only, and decrypting it with openssl and the escrow key gives back the
 * real header. Aliases are stable across messages and restarts and never shared.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CorrespondentsEndToEndTest {
    static final String ALIAS_DOMAIN = "alias.example.net";
    static final String POLICY = PolicyLoader.exampleYaml()
            .replace("      # direction: inbound\n", "      direction: inbound\n").replace(
            "    # pseudonymise:\n    #   correspondents: true\n    #   alias-domain: alias.example.com\n",
            "    pseudonymise:\n      correspondents: true\n      alias-domain: alias.example.net\n")
            .replace("    #   display-name: \"Correspondent {token}\"", "      display-name: \"Correspondent {token}\"");
    /** What must never reach Exchange, in every spelling: ASCII, U-label, A-label. */
    static final List<String> FORBIDDEN = List.of("partner.example", "pärtner.example", "xn--prtner-jua.example", "bob@",
            "carol@", "dörte", "doerte");

    @TempDir
    static Path dir;
    static ExchangeAndVeil started;
    static GreenMail exchange;
    static GatewayProcess veil;
    static Path escrow;

    @BeforeAll
    static void start() throws Exception {
        assertThat(POLICY).contains("  pseudonymise:\n      correspondents: true\n      alias-domain: alias.example.net")
                .contains("\n      direction: inbound\n");
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

    static String message(String from, String id) {
        String name = "=?UTF-8?B?" + java.util.Base64.getEncoder().encodeToString(
                "Bob Bäcker (partner.example)".getBytes(StandardCharsets.UTF_8)) + "?=";
        String utf8 = String.join("\r\n",
                "Return-Path: <" + from + ">",
                "Received: from mail.partner.example (mail.partner.example [192.0.2.7])",
                "\tby mx.partner.example with ESMTPS id 4711 for <alice@example.com>; Mon, 1 Jan 2024 10:00:01 +0000",
                "Received: from [10.0.0.5] (helo=bobs-laptop.partner.example) by mail.partner.example",
                "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=partner.example; s=sel;",
                "\th=from:to:cc:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGVzdA==",
                "ARC-Authentication-Results: i=1; mx.partner.example; spf=pass smtp.mailfrom=partner.example",
                "Authentication-Results: mx.partner.example; dkim=pass header.d=partner.example",
                "X-Originating-IP: [192.0.2.8]",
                "From: " + name + " <" + from + ">",
                "To: Alice <alice@example.com>",
                "Cc: \"Carol Partner\" <carol@PARTNER.example>, Dörte <dörte@pärtner.example>, ops@example.com",
                "Subject: the plan for partner.example",
                "Date: Mon, 1 Jan 2024 10:00:00 +0000",
                "Message-ID: <" + id + "@mail.partner.example>",
                "References: <0-" + id + "@mail.partner.example> <1-" + id + "@xn--prtner-jua.example>",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                "",
                "Meet at noon. Reply to bob, the address is in the header.",
                "");
        return new String(utf8.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    @Test
    @Order(1)
    void bobArrivesFromAnAliasAndDecryptsToTheRealHeader() throws Exception {
        String sent = message("bob@partner.example", "m1");
        Arrived arrived = send("bob@partner.example", sent);

        assertNothingOfThePartnerIsVisible(arrived);
        String from = arrived.message.getHeader("From")[0];
        assertThat(from).matches("Correspondent [A-Z2-7]{4} <c-[a-z2-7]{20}@alias\\.example\\.net>");
        assertThat(arrived.message.getHeader("Return-Path")[0]).contains("@" + ALIAS_DOMAIN);
        assertThat(arrived.message.getHeader("Cc")[0]).contains("ops@example.com").contains("@" + ALIAS_DOMAIN);
        assertThat(arrived.message.getHeader("Message-ID")[0]).matches("<m1-[a-z2-7]+@alias\\.example\\.net>");
        assertThat(arrived.message.getHeader("References")[0].split("\\s+")).hasSize(2);

        byte[] decrypted = decrypt(arrived.raw);
        assertThat(decrypted).isEqualTo(sent.getBytes(StandardCharsets.ISO_8859_1));
        MimeMessage inner = MessageText.parse(decrypted);
        assertThat(inner.getHeader("From")[0]).contains("<bob@partner.example>");
        assertThat(inner.getHeader("Cc")[0]).contains("carol@PARTNER.example", "ops@example.com");
        assertThat(inner.getHeader("To")[0]).isEqualTo("Alice <alice@example.com>");
        assertThat(inner.getMessageID()).isEqualTo("<m1@mail.partner.example>");
        assertThat(inner.getHeader("Received")).hasSize(2);
        assertThat(inner.getHeader("DKIM-Signature")).hasSize(1);
    }

    @Test
    @Order(2)
    void theSameCorrespondentKeepsTheSameAliasAcrossMessagesAndRestartsAndNobodyShares() throws Exception {
        String bob1 = fromAlias(send("bob@partner.example", message("bob@partner.example", "s1")));
        String bob2 = fromAlias(send("Bob@Partner.Example", message("BOB@partner.EXAMPLE", "s2")));
        Arrived carolMail = send("carol@partner.example", message("carol@partner.example", "s3"));
        String carol = fromAlias(carolMail);

        veil.stop();
        veil.start();
        String bob3 = fromAlias(send("bob@partner.example", message("bob@partner.example", "s4")));
        Arrived afterRestart = send("carol@partner.example", message("carol@partner.example", "s5"));

        assertThat(bob2).isEqualTo(bob1);
        assertThat(bob3).isEqualTo(bob1);
        assertThat(carol).isNotEqualTo(bob1);
        assertThat(fromAlias(afterRestart)).isEqualTo(carol);
        // Carol in Cc is the same alias as Carol in From of her own mail
        assertThat(carolMail.message.getHeader("Cc")[0]).contains("<" + carol + ">");
    }

    @Test
    @Order(3)
    void everyCorpusMessageShowsNoExternalAddressOutsideAndDecryptsToTheRealHeader() throws Exception {
        List<String> failures = new ArrayList<>();
        int decrypted = 0;
        int alreadyEncrypted = 0;
        int checkedAddresses = 0;
        for (Path file : Corpus.messages()) {
            String name = Corpus.root().relativize(file).toString();
            byte[] original = Corpus.asSmtpData(Files.readAllBytes(file));
            Path sent = dir.resolve("corpus-sent.eml");
            Files.write(sent, original);
            int before = exchange.getReceivedMessages().length;
            Set<String> queuedBefore = queueIds();
            Tools.Result curl = Tools.curlSend(veil.smtpPort(), "sender@partner.example", "reader@example.com", sent);
            if (curl.exitCode() != 0) {
                failures.add(name + ": not accepted: " + curl.output());
                continue;
            }
            Object outcome = await(before, queuedBefore);
            if (!(outcome instanceof MimeMessage arrived)) {
                failures.add(name + ": not relayed: " + outcome);
                continue;
            }
            byte[] received = bytes(arrived);
            String outside = new String(received, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
            String outsideUtf8 = new String(received, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
            for (String address : externalAddresses(original)) {
                checkedAddresses++;
                if (outside.contains(address) || outsideUtf8.contains(address)) {
                    failures.add(name + ": external address " + address + " is visible outside the encryption");
                }
            }
            if (outside.contains("partner.example")) {
                failures.add(name + ": the envelope sender's domain is visible outside");
            }
            if (MessageText.isEncrypted(original)) {
                alreadyEncrypted++; // encrypted again, as the rule pseudonymises: it decrypts like the others
            }
            byte[] inner = decrypt(received);
            if (!Arrays.equals(inner, Corpus.asQueued(original))) {
                failures.add(name + ": does not decrypt to the original message with its real header");
            } else {
                decrypted++;
            }
        }
        System.out.printf("corpus through pseudonymise+encrypt: %d messages, %d decrypted to the original (%d of them"
                + " already encrypted on arrival), %d external addresses checked%n",
                Corpus.messages().size(), decrypted, alreadyEncrypted, checkedAddresses);
        assertThat(failures).as("corpus messages that failed").isEmpty();
        assertThat(checkedAddresses).isGreaterThan(100);
        assertThat(decrypted).isEqualTo(Corpus.messages().size());
        assertThat(alreadyEncrypted).as("the corpus holds already encrypted mail").isPositive();
    }

    @Test
    @Order(4)
    void alreadyEncryptedMailIsEncryptedAgainSoThatNothingTheSenderWroteOutsideItsCiphertextShows() throws Exception {
        // S/MIME made by openssl for Alice's own key, which Veil does not hold, and, as Outlook and Thunderbird do, for
        // the sender's own certificate too: its issuer name and serial number sit outside the ciphertext (CMS
        // RecipientInfo). Passed as it was, that named the partner to Exchange (a black-box probe); under a rule
        // that pseudonymises, such mail is encrypted again by default.
        Path work = Files.createDirectories(dir.resolve("already-encrypted"));
        Tools.run(work, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "alice-key.pem",
                "-out", "alice-cert.pem", "-subj", "/CN=alice@example.com", "-days", "2").orFail("openssl req");
        Tools.run(work, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "dieter-key.pem",
                "-out", "dieter-cert.pem", "-subj", "/CN=Dieter/O=Partner Corp/emailAddress=dieter@partner.example",
                "-days", "2").orFail("openssl req");
        Files.writeString(work.resolve("inner.txt"), "Content-Type: text/plain\r\n\r\nthe offer\r\n");
        Tools.run(work, "openssl", "cms", "-encrypt", "-aes256", "-in", "inner.txt", "-out", "smime.eml",
                "alice-cert.pem", "dieter-cert.pem").orFail("openssl cms -encrypt");
        String smime = Files.readString(work.resolve("smime.eml"), StandardCharsets.US_ASCII).replace("\r\n", "\n")
                .replace("\n", "\r\n");
        assertThat(smime).contains("MIME-Version: 1.0\r\n", "Content-Type: application/pkcs7-mime;");
        String sent = "From: Dieter <dieter@partner.example>\r\nTo: alice@example.com\r\nSubject: offer\r\n"
                + "Message-ID: <offer-1@mail.partner.example>\r\n"
                + "Importance: high (flagged by dieter@partner.example)\r\n"
                + smime.replace("MIME-Version: 1.0\r\n", "MIME-Version: 1.0 (Created by mail.partner.example)\r\n");

        // GreenMail lists messages by mailbox, and the corpus went to another one: the new one is the id not seen before
        Set<String> seen = new HashSet<>();
        for (MimeMessage m : exchange.getReceivedMessages()) {
            seen.add(m.getMessageID());
        }
        SmtpSubmit.Reply reply = SmtpSubmit.send(veil.smtpPort(), "dieter@partner.example", "alice@example.com", sent);
        assertThat(reply.code()).isEqualTo(250);
        veil.awaitState(reply.queueId(), "relayed", Duration.ofSeconds(60));
        List<MimeMessage> fresh = new ArrayList<>();
        for (MimeMessage m : exchange.getReceivedMessages()) {
            if (!seen.contains(m.getMessageID())) {
                fresh.add(m);
            }
        }
        assertThat(fresh).hasSize(1);
        Arrived arrived = new Arrived(fresh.get(0), bytes(fresh.get(0)));

        // every decoded part is checked too: the CMS structure Exchange holds is Veil's, naming only Veil's keys
        assertNothingOfThePartnerIsVisible(arrived);
        String header = new String(arrived.raw, StandardCharsets.ISO_8859_1).split("\r\n\r\n", 2)[0];
        assertThat(header).contains("Subject: [encrypted]");
        // whoever decrypts with Veil's keys gets the message as it arrived, which opens with Alice's own key
        byte[] inner = decrypt(arrived.raw);
        assertThat(inner).isEqualTo(Corpus.asQueued(sent.getBytes(StandardCharsets.ISO_8859_1)));
        Path opened = work.resolve("opened.txt");
        Files.write(work.resolve("inner.eml"), inner);
        Tools.opensslDecrypt(work.resolve("inner.eml"), opened, work.resolve("alice-key.pem"),
                work.resolve("alice-cert.pem")).orFail("openssl cms -decrypt of the message inside Veil's");
        assertThat(Files.readString(opened)).isEqualTo("Content-Type: text/plain\r\n\r\nthe offer\r\n");
    }

    @Test
    @Order(5)
    void mailFromOutsideToAnAliasIsRefusedWithAReplyThatSaysWhy() throws Exception {
        // the alias domain's MX is Veil (README): someone who saw an alias in a forwarded header writes to it
        String alias = fromAlias(send("bob@partner.example", message("bob@partner.example", "a1")));
        try (RawSmtp smtp = RawSmtp.openEhlo(veil.smtpPort())) {
            assertThat(smtp.command("MAIL FROM:<mallory@elsewhere.example>").code()).isEqualTo(250);
            for (String rcpt : List.of(alias, "c-aaaaaaaaaaaaaaaaaaaa@ALIAS.example.net")) {
                RawSmtp.Reply refused = smtp.command("RCPT TO:<" + rcpt + ">");
                assertThat(refused.code()).as(smtp.transcript()).isEqualTo(550);
                assertThat(refused.text()).isEqualTo("5.7.1 " + ALIAS_DOMAIN
                        + " holds aliases that take mail only from the business they belong to");
            }
            RawSmtp.Reply foreign = smtp.command("RCPT TO:<someone@elsewhere.example>");
            assertThat(foreign.code()).isEqualTo(550);
            assertThat(foreign.text()).startsWith("5.7.1 Relaying denied");
        }
    }

    /** Addresses of the original's correspondent fields, read by Jakarta Mail, outside the protected domain. */
    static Set<String> externalAddresses(byte[] original) {
        Set<String> out = new LinkedHashSet<>();
        try {
            MimeMessage m = MessageText.parse(original);
            for (String field : List.of("From", "Sender", "Reply-To", "To", "Cc")) {
                String[] values = m.getHeader(field);
                if (values == null) {
                    continue;
                }
                for (String value : values) {
                    InternetAddress[] addresses;
                    try {
                        addresses = InternetAddress.parseHeader(MimeUtility.unfold(value), false);
                    } catch (Exception e) {
                        continue;
                    }
                    for (InternetAddress a : addresses) {
                        addAddress(a, out);
                        try {
                            InternetAddress[] members = a.getGroup(false);
                            if (members != null) {
                                for (InternetAddress member : members) {
                                    addAddress(member, out);
                                }
                            }
                        } catch (Exception ignored) {
                            // not a group
                        }
                    }
                }
            }
        } catch (Exception e) {
            // unparseable as a whole: nothing to look for
        }
        return out;
    }

    private static void addAddress(InternetAddress a, Set<String> out) {
        String address = a.getAddress();
        if (address == null || a.isGroup()) {
            return;
        }
        address = address.strip().toLowerCase(Locale.ROOT);
        int at = address.lastIndexOf('@');
        if (at <= 0 || at == address.length() - 1) {
            return;
        }
        String domain = address.substring(at + 1);
        if (domain.equals("example.com")) {
            return; // protected: stays real
        }
        out.add(address);
    }

    private record Arrived(MimeMessage message, byte[] raw) {
    }

    private static Arrived send(String envelopeFrom, String data) throws Exception {
        int before = exchange.getReceivedMessages().length;
        SmtpSubmit.Reply reply = SmtpSubmit.send(veil.smtpPort(), envelopeFrom, "alice@example.com", data);
        assertThat(reply.code()).isEqualTo(250);
        veil.awaitState(reply.queueId(), "relayed", Duration.ofSeconds(60));
        MimeMessage[] all = exchange.getReceivedMessages();
        assertThat(all).hasSize(before + 1);
        return new Arrived(all[before], bytes(all[before]));
    }

    private static String fromAlias(Arrived arrived) throws Exception {
        String from = arrived.message.getHeader("From")[0];
        return from.substring(from.indexOf('<') + 1, from.indexOf('>'));
    }

    /** Raw bytes, every decoded MIME part and every decoded header value: none may name the partner. */
    private static void assertNothingOfThePartnerIsVisible(Arrived arrived) throws Exception {
        List<String> views = new ArrayList<>(MessageText.observable(arrived.raw));
        views.add(new String(arrived.raw, StandardCharsets.UTF_8));
        for (Enumeration<Header> e = arrived.message.getAllHeaders(); e.hasMoreElements(); ) {
            Header h = e.nextElement();
            views.add(h.getName() + ": " + MimeUtility.decodeText(MimeUtility.unfold(h.getValue())));
        }
        for (String view : views) {
            String lower = view.toLowerCase(Locale.ROOT);
            for (String forbidden : FORBIDDEN) {
                assertThat(lower).as("what Exchange stored").doesNotContain(forbidden);
            }
        }
    }

    private static byte[] decrypt(byte[] sealed) throws Exception {
        Path in = Files.createTempFile(dir, "sealed", ".eml");
        Path out = Files.createTempFile(dir, "opened", ".eml");
        Files.write(in, sealed);
        Tools.opensslDecrypt(in, out, escrow.resolve("escrow-key.pem"), escrow.resolve("escrow-cert.pem"))
                .orFail("openssl cms -decrypt");
        return VeilReceived.strippedOrNull(Files.readAllBytes(out)); // null: Veil's Received field is not on top
    }

    /** The new GreenMail message, or the state and error of a new queue entry that did not get relayed. */
    private static Object await(int before, Set<String> queuedBefore) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            MimeMessage[] all = exchange.getReceivedMessages();
            if (all.length > before) {
                return all[before];
            }
            for (Map<String, Object> entry : veil.queue()) {
                if (!queuedBefore.contains((String) entry.get("id"))
                        && List.of("deferred", "quarantined", "bounced").contains(entry.get("state"))) {
                    return entry.get("state") + ": " + entry.get("lastError");
                }
            }
            Thread.sleep(50);
        }
        return "nothing within 60 s";
    }

    private static Set<String> queueIds() {
        Set<String> ids = new HashSet<>();
        veil.queue().forEach(e -> ids.add((String) e.get("id")));
        return ids;
    }

    private static byte[] bytes(MimeMessage message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out);
        return out.toByteArray();
    }
}
