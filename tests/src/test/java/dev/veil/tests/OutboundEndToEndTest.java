package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.store.StoredMessage;
import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.veil.config.PolicyLoader;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.RawSmtp;
import dev.veil.tests.support.RawSmtp.Reply;
import dev.veil.tests.support.Tools;
import dev.veil.tests.support.VeilLauncher;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mail leaving the business through the outbound listener, with GreenMail as the outbound relay (the internet) and
 * swaks as a real submission client. Two gateways: {@code trusting} lets loopback relay (Exchange's connector
 * stands there), {@code closed} trusts only 192.0.2.0/24, so loopback clients must authenticate.
 */
class OutboundEndToEndTest {
    private static final String PASSWORD = "correct horse battery staple";
    private static final String POLICY = PolicyLoader.exampleYaml().replace("rules:\n", """
            rules:
              - name: no-mail-to-competitor
                match:
                  recipient: "*@competitor.example"
                  direction: outbound
                reject:
                  message: We do not write to competitor.example
              - name: encrypt-to-keyed-partners
                match:
                  recipient: "*@keyed.example"
                  direction: outbound
                encrypt:
                  format: smime
                  to: [recipient]
            """).replace("      subject: \"[encrypted]\"\n",
            "      subject: \"[encrypted]\"\n    pseudonymise:\n      alias-domain: alias.example.net\n");

    @TempDir
    static Path dir;
    static GreenMail world;
    static GatewayProcess trusting;
    static GatewayProcess closed;

    @BeforeAll
    static void start() throws Exception {
        int port = GatewayProcess.freePort();
        world = new GreenMail(new ServerSetup(port, "127.0.0.1", "smtp"));
        world.start();
        Tools.run(dir, "openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", "carol-key.pem",
                "-out", "carol-cert.pem", "-days", "30", "-subj", "/CN=Carol",
                "-addext", "subjectAltName=email:carol@keyed.example",
                "-addext", "keyUsage=keyEncipherment,digitalSignature",
                "-addext", "extendedKeyUsage=emailProtection").orFail("openssl req");
        String hash = hashPassword(PASSWORD);
        Path trustingData = dir.resolve("trusting");
        Path closedData = dir.resolve("closed");
        for (Path data : List.of(trustingData, closedData)) {
            Files.createDirectories(data);
            Files.writeString(data.resolve("policy.yml"), POLICY);
        }
        trusting = GatewayProcess.withKeys(trustingData).outboundRelaySmtp(port);
        assertThat(trusting.command("keys", "import", dir.resolve("carol-cert.pem").toString()))
                .contains("carol@keyed.example");
        closed = GatewayProcess.withKeys(closedData).outboundRelaySmtp(port)
                .set("outbound.allowedNetworks", "[\"192.0.2.0/24\"]")
                .set("outbound.accounts", "[{username: alice, passwordHash: \"" + hash + "\"}]");
        CompletableFuture<GatewayProcess> a = CompletableFuture.supplyAsync(trusting::start);
        CompletableFuture<GatewayProcess> b = CompletableFuture.supplyAsync(closed::start);
        CompletableFuture.allOf(a, b).join();
    }

    @AfterAll
    static void stop() {
        for (GatewayProcess g : new GatewayProcess[] {trusting, closed}) {
            if (g != null) {
                g.close();
            }
        }
        if (world != null) {
            world.stop();
        }
    }

    /** {@code veil hash-password}, the documented way to make an account's hash, run as an admin would. */
    private static String hashPassword(String password) throws Exception {
        Path file = dir.resolve("password.txt");
        Files.writeString(file, password + "\n");
        Tools.Result result = Tools.run(dir, VeilLauncher.command(List.of(), List.of("hash-password",
                "--password-file", file.toString()))).orFail("veil hash-password");
        String hash = Arrays.stream(result.output().split("\n")).filter(l -> l.startsWith("$argon2id$"))
                .findFirst().orElseThrow(() -> new AssertionError("no hash in:\n" + result.output()));
        assertThat(hash).doesNotContain(password);
        return hash.strip();
    }

    private static Tools.Result swaks(GatewayProcess g, String... args) {
        List<String> command = new ArrayList<>(List.of("swaks", "--server", "127.0.0.1:" + g.outboundPort(),
                "--helo", "client.example.com"));
        command.addAll(List.of(args));
        return Tools.run(null, command);
    }

    /**
     * What the relay delivered to one envelope recipient (GreenMail files each copy in that recipient's inbox;
     * its own by-domain search parses header fields and cannot read the malformed ones these tests send).
     */
    private static List<MimeMessage> inbox(String address) throws Exception {
        GreenMailUser user = world.getUserManager().getUserByEmail(address);
        if (user == null) {
            return List.of();
        }
        List<MimeMessage> messages = new ArrayList<>();
        for (StoredMessage stored : world.getManagers().getImapHostManager().getInbox(user).getMessages()) {
            messages.add(stored.getMimeMessage());
        }
        return messages;
    }

    private static List<String> subjects(List<MimeMessage> messages) throws Exception {
        List<String> subjects = new ArrayList<>();
        for (MimeMessage m : messages) {
            subjects.add(m.getSubject());
        }
        return subjects;
    }

    private static String raw(MimeMessage m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String queued(Tools.Result swaks) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("queued as ([0-9A-Z]+)").matcher(swaks.output());
        assertThat(m.find()).as("queued in:\n" + swaks.output()).isTrue();
        return m.group(1);
    }

    private static void awaitMessages(String subject, int count) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            if (withSubject(subject).size() >= count) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the outbound relay did not receive " + count + " message(s) '" + subject + "'");
    }

    private static List<MimeMessage> withSubject(String subject) throws Exception {
        List<MimeMessage> found = new ArrayList<>();
        for (MimeMessage m : world.getReceivedMessages()) {
            if (subject.equals(m.getSubject())) {
                found.add(m);
            }
        }
        return found;
    }

    private static long filesIn(Path directory) throws Exception {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.count();
        }
    }

    // --- relaying ------------------------------------------------------------------------------------------------

    @Test
    void mailFromAnAllowedNetworkReachesTheOutboundRelayWithTheEnvelopeItWasGiven() throws Exception {
        Tools.Result swaks = swaks(trusting, "--from", "alice@example.com",
                "--to", "bob@partner.example,dave@other.example", "--header", "Subject: outbound one");
        assertThat(swaks.exitCode()).as(swaks.output()).isZero();
        String id = queued(swaks);

        Map<String, Object> entry = trusting.awaitState(id, "relayed", Duration.ofSeconds(30));
        assertThat(entry.get("direction")).isEqualTo("outbound");
        assertThat(entry.get("recipients")).isEqualTo(List.of("bob@partner.example", "dave@other.example"));
        awaitMessages("outbound one", 2);
        for (MimeMessage m : withSubject("outbound one")) {
            assertThat(m.getHeader("Return-Path", null)).isEqualTo("<alice@example.com>");
        }
        assertThat(subjects(inbox("bob@partner.example"))).contains("outbound one");
        assertThat(subjects(inbox("dave@other.example"))).contains("outbound one");
        assertThat(filesIn(trusting.dataDir().resolve("upstream"))).as("nothing went to the inbound upstream")
                .isZero();
    }

    @Test
    void outboundRulesRejectAtRcptAndEncryptToAnImportedCertificate() throws Exception {
        Tools.Result rejected = swaks(trusting, "--from", "alice@example.com", "--to", "x@competitor.example");
        assertThat(rejected.output()).contains("550 5.7.1 We do not write to competitor.example");

        Tools.Result swaks = swaks(trusting, "--from", "alice@example.com", "--to", "carol@keyed.example",
                "--header", "Subject: for carol", "--body", "only carol's own key opens this");
        assertThat(swaks.exitCode()).as(swaks.output()).isZero();
        trusting.awaitState(queued(swaks), "relayed", Duration.ofSeconds(30));
        MimeMessage sealed = inbox("carol@keyed.example").get(0);
        assertThat(sealed.getContentType()).contains("application/pkcs7-mime");
        Path received = dir.resolve("carol-received.eml");
        Files.write(received, raw(sealed).getBytes(StandardCharsets.UTF_8));
        Path out = dir.resolve("carol-decrypted.eml");
        Tools.opensslDecrypt(received, out, dir.resolve("carol-key.pem"), dir.resolve("carol-cert.pem"))
                .orFail("openssl cms -decrypt with carol's own key");
        assertThat(Files.readString(out)).contains("only carol's own key opens this");
    }

    @Test
    void authPlainAndLoginOverStarttlsWithAConfiguredAccountRelay() throws Exception {
        for (String mechanism : List.of("PLAIN", "LOGIN")) {
            Tools.Result swaks = swaks(closed, "--tls", "--auth", mechanism, "--auth-user", "alice",
                    "--auth-password", PASSWORD, "--from", "alice@example.com", "--to", "erin@partner.example",
                    "--header", "Subject: authenticated " + mechanism);
            assertThat(swaks.exitCode()).as(swaks.output()).isZero();
            assertThat(swaks.output()).contains("235 2.7.0 Authentication successful");
            Map<String, Object> entry = closed.awaitState(queued(swaks), "relayed", Duration.ofSeconds(30));
            assertThat(entry.get("direction")).isEqualTo("outbound");
            awaitMessages("authenticated " + mechanism, 1);
        }
    }

    // --- never an open relay -------------------------------------------------------------------------------------

    @Test
    void openRelayBatteryOnTheOutboundPortIsRefusedAndNothingIsQueued() throws Exception {
        int before = closed.queue().size();
        String plain = Base64.getEncoder().encodeToString(("\0alice\0" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        List<String> failures = new ArrayList<>();

        // 1. a client outside allowedNetworks that does not authenticate: no recipient of any kind
        try (RawSmtp smtp = RawSmtp.openEhlo(closed.outboundPort())) {
            Reply mail = smtp.command("MAIL FROM:<alice@example.com>");
            if (mail.code() != 530) {
                failures.add("unauthenticated MAIL -> " + mail);
            }
            for (String rcpt : List.of("bob@partner.example", "c-7qf2@alias.example.net", "x@alias.foreign.example",
                    "alice@example.com", "postmaster@partner.example")) {
                Reply r = smtp.command("RCPT TO:<" + rcpt + ">");
                if (r.code() < 500) {
                    failures.add("unauthenticated RCPT " + rcpt + " -> " + r);
                }
            }
            if (smtp.command("DATA").code() < 500) {
                failures.add("unauthenticated DATA accepted");
            }
        }
        // 2. AUTH without TLS: not offered, and refused without reading the password
        try (RawSmtp smtp = RawSmtp.open(closed.outboundPort())) {
            Reply ehlo = smtp.command("EHLO client.example.com");
            if (ehlo.texts().stream().anyMatch(t -> t.startsWith("AUTH"))) {
                failures.add("AUTH offered before STARTTLS: " + ehlo);
            }
            Reply auth = smtp.command("AUTH PLAIN " + plain);
            if (auth.code() != 538) {
                failures.add("AUTH before STARTTLS -> " + auth);
            }
            Reply mail = smtp.command("MAIL FROM:<alice@example.com>");
            if (mail.code() != 530) {
                failures.add("MAIL after refused AUTH -> " + mail);
            }
        }
        // 3. wrong password over TLS
        Tools.Result wrong = swaks(closed, "--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password",
                "wrong", "--from", "alice@example.com", "--to", "bob@partner.example");
        if (wrong.exitCode() == 0 || !wrong.output().contains("535 5.7.8")) {
            failures.add("wrong password:\n" + wrong.output());
        }
        Tools.Result nobody = swaks(closed, "--tls", "--auth", "LOGIN", "--auth-user", "mallory", "--auth-password",
                PASSWORD, "--from", "alice@example.com", "--to", "bob@partner.example");
        if (nobody.exitCode() == 0 || !nobody.output().contains("535 5.7.8")) {
            failures.add("unknown user:\n" + nobody.output());
        }
        // 4. an authenticated user may not send as someone else's domain
        Tools.Result spoof = swaks(closed, "--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password",
                PASSWORD, "--from", "ceo@bank.example", "--to", "bob@partner.example");
        if (spoof.exitCode() == 0 || !spoof.output().contains("553 5.7.1")) {
            failures.add("foreign sender after AUTH:\n" + spoof.output());
        }
        // 5. aliases that are not ours, even from a trusted client: unknown, malformed, made-up
        try (RawSmtp smtp = RawSmtp.openEhlo(trusting.outboundPort())) {
            smtp.command("MAIL FROM:<alice@example.com>");
            for (String alias : List.of("c-7qf2@alias.example.net", "c-@alias.example.net", "not-an-alias@alias.example.net",
                    "C-ZZZZ@ALIAS.EXAMPLE.NET", "c-7qf2@alias.example.net.")) {
                Reply r = smtp.command("RCPT TO:<" + alias + ">");
                if (!(r.code() == 550 && r.text().startsWith("5.1.1")) && !(r.code() == 553)) {
                    failures.add("alias " + alias + " -> " + r);
                }
            }
            if (smtp.command("DATA").code() != 503) {
                failures.add("DATA with only refused aliases was not 503");
            }
        }
        assertThat(failures).isEmpty();
        assertThat(closed.queue()).hasSize(before);
    }

    @Test
    void theThirdWrongPasswordEndsTheSession() {
        String bad = Base64.getEncoder().encodeToString("\0alice\0wrong".getBytes(StandardCharsets.UTF_8));
        String script = "(sleep 1; printf 'EHLO client.example.com\\r\\n'; sleep 1;"
                + " for i in 1 2 3; do printf 'AUTH PLAIN " + bad + "\\r\\n'; sleep 1; done;"
                + " printf 'NOOP\\r\\n'; sleep 1)"
                + " | openssl s_client -quiet -starttls smtp -connect 127.0.0.1:" + closed.outboundPort() + " 2>&1";
        Tools.Result result = Tools.run(null, "sh", "-c", script);

        assertThat(result.output().split("535 5\\.7\\.8", -1)).as(result.output()).hasSize(3);
        assertThat(result.output()).as("the third failure closes the session, saying so").contains("421 4.7.0");
        assertThat(result.output()).as("no reply to NOOP: the server closed the session").doesNotContain("2.0.0 OK");
    }

    // --- bad input -----------------------------------------------------------------------------------------------

    @Test
    void malformedIdnAndSmtputf8AddressesAreRefusedWithRepliesThatSayWhy() {
        try (RawSmtp smtp = RawSmtp.openEhlo(trusting.outboundPort())) {
            assertThat(smtp.command("MAIL FROM:<alice@example.com> SMTPUTF8").toString()).startsWith("555 5.5.4");
            assertThat(smtp.command("MAIL FROM:<alice@example.com>").code()).isEqualTo(250);
            assertThat(smtp.command("RCPT TO:<bob@>").toString()).startsWith("553 5.1.3");
            assertThat(smtp.command("RCPT TO:<bob@partner..example>").toString()).startsWith("553 5.1.3");
            assertThat(smtp.command("RCPT TO:<bob partner.example>").toString()).startsWith("553 5.1.3");
            assertThat(smtp.command("RCPT TO:<bob>").toString()).startsWith("553 5.1.3").contains("no domain");
            assertThat(smtp.command("RCPT TO:bob@partner.example").code()).isEqualTo(501);
            assertThat(smtp.command("RCPT TO:<bob@bücher.example>").toString()).startsWith("553 5.6.7").contains("xn--");
            assertThat(smtp.command("RCPT TO:<jörg@partner.example>").toString()).startsWith("553 5.6.7");
            assertThat(smtp.command("RCPT TO:<bob@[192.0.2.1]>").toString()).startsWith("550 5.1.2");
            assertThat(smtp.command("RCPT TO:<@relay.example:bob@partner.example>").toString()).startsWith("550 5.7.1");
            assertThat(smtp.command("RCPT TO:<bob%partner.example@other.example>").toString()).startsWith("550 5.7.1");
            assertThat(smtp.command("DATA").code()).isEqualTo(503);
        }
    }

    @Test
    void groupsEncodedWordsIdnAndMalformedHeaderFieldsArriveByteForByte() throws Exception {
        List<String> fields = List.of(
                "From: =?UTF-8?B?QWxpY2Ugw5xiZXI=?= <alice@example.com>",
                "To: Partners: \"Bob, B.\" <bob@xn--bcher-kva.example>, dave@other.example;, undisclosed-recipients:;",
                "Cc: \"unterminated <c-7qf2@alias.example.net>, (open comment",
                "Reply-To: =?iso-8859-1?Q?J=F6rg?= <c-zzzz@alias.example.net>",
                "Subject: header test",
                "Message-ID: <header-test@example.com>");
        String message = String.join("\r\n", fields) + "\r\n\r\nbody\r\n";
        String id;
        try (RawSmtp smtp = RawSmtp.openEhlo(trusting.outboundPort())) {
            assertThat(smtp.command("MAIL FROM:<alice@example.com>").code()).isEqualTo(250);
            assertThat(smtp.command("RCPT TO:<bob@xn--bcher-kva.example>").code()).isEqualTo(250);
            assertThat(smtp.command("DATA").code()).isEqualTo(354);
            Reply queued = smtp.send(message + ".\r\n").read();
            assertThat(queued.code()).as(smtp.transcript()).isEqualTo(250);
            id = queued.text().replaceAll(".*queued as ", "").strip();
        }
        trusting.awaitState(id, "relayed", Duration.ofSeconds(30));
        awaitMessages("header test", 1);
        String received = raw(withSubject("header test").get(0));
        for (String field : fields) {
            assertThat(received).contains(field + "\r\n");
        }
        assertThat(subjects(inbox("bob@xn--bcher-kva.example"))).containsExactly("header test");
    }
}
