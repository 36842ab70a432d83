package dev.veil.gateway.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.config.Direction;
import dev.veil.config.Policy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.PasswordHash;
import dev.veil.crypto.SelfSignedTls;
import dev.veil.gateway.OutboundAccount;
import dev.veil.gateway.OutboundSettings;
import dev.veil.gateway.SmtpSettings;
import dev.veil.gateway.TestClock;
import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.Spool;
import dev.veil.gateway.core.SpoolEntry;
import dev.veil.gateway.correspondents.Reidentifier;
import dev.veil.gateway.db.Database;
import dev.veil.gateway.db.SpoolDao;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbound listener in-process, with an in-test Reidentifier: who may send, how alias recipients are resolved
 * into the envelope, and what unknown aliases hear.
 */
class OutboundListenerTest {
    private static final String POLICY = PolicyLoader.exampleYaml().replace("rules:\n", """
            rules:
              - name: no-mail-to-competitor
                match:
                  recipient: "*@competitor.example"
                  direction: outbound
                reject:
                  message: We do not write to competitor.example
            """).replace("      subject: \"[encrypted]\"\n",
            "      subject: \"[encrypted]\"\n    pseudonymise:\n      alias-domain: alias.example.net\n");

    @TempDir
    Path dir;
    private Database database;
    private SmtpListener listener;
    private SpoolDao dao;
    private Spool spool;
    private final List<QueueId> queued = new CopyOnWriteArrayList<>();
    private RuntimeException reidentifierFailure;

    private final Reidentifier aliases = new Reidentifier() {
        private final Map<String, String> known = Map.of("c-7qf2@alias.example.net", "bob@partner.example",
                "c-utf8@alias.example.net", "j\u00f6rg@xn--bcher-kva.example",
                "c-cjk@alias.example.net", "\u7528\u6237@partner.example",
                "c-quoted@alias.example.net", "\"bob smith\"@partner.example",
                "c-nodomain@alias.example.net", "bob17",
                "c-literal@alias.example.net", "a31@[IPv6:2001:db8::31]",
                "c-percent@alias.example.net", "bob%partner.example@example.com",
                "c-bang@alias.example.net", "partner.example!bob@example.com",
                "c-dots@alias.example.net", "a@partner..example");

        @Override
        public boolean isAliasAddress(String address) {
            if (reidentifierFailure != null) {
                throw reidentifierFailure;
            }
            return address.toLowerCase().endsWith("@alias.example.net");
        }

        @Override
        public Optional<String> realAddress(String aliasAddress) {
            return Optional.ofNullable(known.get(aliasAddress.toLowerCase()));
        }

        @Override
        public Optional<String> realMessageId(String tokenisedMessageId) {
            return Optional.empty();
        }
    };

    private List<String> exchangeTenants = List.of();
    private int maxAuthFailuresPerClient = 10;
    private io.dropwizard.util.Duration idleTimeout = io.dropwizard.util.Duration.minutes(5);
    private int maxRecipients = 100;

    private int start(List<String> allowedNetworks, List<OutboundAccount> accounts) throws Exception {
        database = Database.openEmbedded(dir.resolve("data"));
        dao = new SpoolDao(database);
        spool = new Spool(dir.resolve("spool"), dao, new TestClock(Instant.parse("2030-01-01T00:00:00Z")));
        PolicyLoad load = PolicyLoader.parse("policy.yml", POLICY);
        assertThat(load.hasErrors()).as("%s", load.problems()).isFalse();
        Policy policy = load.policy().orElseThrow();
        SmtpSettings limits = new SmtpSettings();
        limits.setIoThreads(1);
        limits.setIdleTimeout(idleTimeout);
        limits.setMaxRecipients(maxRecipients);
        OutboundSettings outbound = new OutboundSettings();
        outbound.setPort(0);
        outbound.setAllowedNetworks(allowedNetworks);
        outbound.setAccounts(accounts);
        outbound.setExchangeTenants(exchangeTenants);
        outbound.setMaxAuthFailuresPerClient(maxAuthFailuresPerClient);
        var tls = SelfSignedTls.serverContext(null, new char[0], dir.resolve("tls"), "veil.test");
        listener = SmtpListener.outbound(limits, outbound, "veil.test", spool, () -> policy, aliases, tls, queued::add);
        listener.start();
        return listener.port();
    }

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.stop();
        }
        if (database != null) {
            database.close();
        }
    }

    /** A line-by-line SMTP conversation: each command's first reply line. */
    private static final class Client implements AutoCloseable {
        Socket socket;
        BufferedReader in;
        OutputStream out;

        Client(int port) throws Exception {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
            assertThat(reply()).startsWith("220");
        }

        /** STARTTLS and the handshake (any certificate: the listener's is self-signed). */
        void startTls() throws Exception {
            assertThat(send("STARTTLS")).startsWith("220");
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String type) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String type) {
                }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                    .createSocket(socket, "127.0.0.1", socket.getPort(), true);
            tls.startHandshake();
            socket = tls;
            in = new BufferedReader(new InputStreamReader(tls.getInputStream(), StandardCharsets.UTF_8));
            out = tls.getOutputStream();
        }

        String send(String line) throws Exception {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return reply();
        }

        String reply() throws Exception {
            String line = in.readLine();
            StringBuilder all = new StringBuilder(line == null ? "(closed)" : line);
            while (line != null && line.length() > 3 && line.charAt(3) == '-') {
                line = in.readLine();
                all.append('\n').append(line);
            }
            return all.toString();
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    /** The spooled message after the Received field Veil wrote for a client greeting as client.example.com. */
    private static String withoutVeilsReceivedField(String spooled, QueueId id, String recipient) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Received: from client\\.example\\.com \\(\\[127\\.0\\.0\\.1]\\)"
                + "\r\n\tby veil\\.test \\(Veil\\) with ESMTP id " + id + "\r\n\tfor <"
                + java.util.regex.Pattern.quote(recipient) + ">; \\w{3}, \\d{1,2} \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\r\n")
                .matcher(spooled);
        assertThat(m.lookingAt()).as("Veil's Received field on top of%n%s", spooled).isTrue();
        return spooled.substring(m.end());
    }

    @Test
    void aliasRecipientsAreResolvedIntoTheEnvelopeOnceAndTheEntryIsOutbound() throws Exception {
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            assertThat(c.send("EHLO client.example.com")).startsWith("250");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<C-7QF2@alias.example.net>")).startsWith("250");
            assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("250");
            assertThat(c.send("RCPT TO:<dave@elsewhere.example>")).startsWith("250");
            assertThat(c.send("DATA")).startsWith("354");
            assertThat(c.send("To: c-7qf2@alias.example.net\r\nSubject: re\r\n\r\nhello\r\n.")).startsWith("250");
        }
        assertThat(queued).hasSize(1);
        SpoolEntry entry = dao.find(queued.get(0)).orElseThrow();
        assertThat(entry.direction()).isEqualTo(Direction.OUTBOUND);
        assertThat(entry.envelope().sender()).isEqualTo("alice@example.com");
        assertThat(entry.envelope().recipients()).containsExactly("bob@partner.example", "dave@elsewhere.example");
    }

    /**
     * RFC 5321 4.4: every message Veil takes gets its Received field on top (it had none). It names a single
     * recipient unless it is an alias, the protocol after RFC 3848, and the queue id the 250 reply gave.
     */
    @Test
    void everyMessageGetsVeilsReceivedFieldWithTheQueueIdAndTheProtocolOfTheSession() throws Exception {
        OutboundAccount alice = account("alice", "correct horse");
        int port = start(List.of("127.0.0.0/8"), List.of(alice));
        String plainReply;
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<C-7QF2@alias.example.net>")).startsWith("250");
            assertThat(c.send("DATA")).startsWith("354");
            plainReply = c.send("Subject: one\r\n\r\nhello\r\n.");
        }
        try (Client c = new Client(port)) {
            c.send("HELO client.example.com");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("250");
            assertThat(c.send("RCPT TO:<dave@elsewhere.example>")).startsWith("250");
            assertThat(c.send("DATA")).startsWith("354");
            assertThat(c.send("Subject: two\r\n\r\nhello\r\n.")).startsWith("250");
        }
        try (Client c = loggingIn(port)) {
            assertThat(c.send("AUTH PLAIN " + b64("\0alice\0correct horse"))).startsWith("235");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("250");
            assertThat(c.send("DATA")).startsWith("354");
            assertThat(c.send("Subject: three\r\n\r\nhello\r\n.")).startsWith("250");
        }
        assertThat(queued).hasSize(3);
        assertThat(plainReply).isEqualTo("250 2.0.0 Ok: queued as " + queued.get(0));
        String one = java.nio.file.Files.readString(spool.messageFile(queued.get(0)), StandardCharsets.ISO_8859_1);
        // not the real address behind the alias: a bounce returns the field to Exchange
        assertThat(one).startsWith("Received: from client.example.com ([127.0.0.1])\r\n\tby veil.test (Veil) with ESMTP id "
                + queued.get(0) + "; ").doesNotContain("for <").doesNotContain("partner.example")
                .endsWith("\r\nSubject: one\r\n\r\nhello\r\n");
        String two = java.nio.file.Files.readString(spool.messageFile(queued.get(1)), StandardCharsets.ISO_8859_1);
        assertThat(two).startsWith("Received: from client.example.com ([127.0.0.1])\r\n\tby veil.test (Veil) with SMTP id "
                + queued.get(1) + "; ").doesNotContain("for <").endsWith("\r\nSubject: two\r\n\r\nhello\r\n");
        String three = java.nio.file.Files.readString(spool.messageFile(queued.get(2)), StandardCharsets.ISO_8859_1);
        assertThat(three).startsWith("Received: from client.example.com ([127.0.0.1])\r\n\tby veil.test (Veil) with ESMTPSA id "
                + queued.get(2) + "\r\n\tfor <bob@partner.example>; ");
    }

    /** A loop (Exchange's connector and Veil's relay sending to each other) ends at smtp.maxHops Received fields. */
    @Test
    void aMessageWithMoreReceivedFieldsThanMaxHopsIsRefusedAsALoopAndNothingIsKept() throws Exception {
        int port = start(List.of("127.0.0.0/8"), List.of());
        String hop = "Received: from a.example by b.example with ESMTP id 1; Thu, 3 Dec 2026 21:40:05 +0000\r\n";
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("250");
            assertThat(c.send("DATA")).startsWith("354");
            assertThat(c.send(hop.repeat(SmtpSettings.DEFAULT_MAX_HOPS) + "Subject: loop\r\n\r\nhi\r\n."))
                    .isEqualTo("554 5.4.6 Too many hops: " + (SmtpSettings.DEFAULT_MAX_HOPS + 1) + " Received fields, a mail loop?");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).as("the session goes on").startsWith("250");
            assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("250");
            assertThat(c.send("DATA")).startsWith("354");
            assertThat(c.send(hop.repeat(SmtpSettings.DEFAULT_MAX_HOPS - 1) + "Subject: far\r\n\r\nhi\r\n."))
                    .startsWith("250");
        }
        assertThat(queued).hasSize(1);
        assertThat(java.nio.file.Files.list(dir.resolve("spool/incoming"))).as("refused messages leave nothing").isEmpty();
    }

    @Test
    void aSecondMailFromIsRefusedWithNoEffectAndARecipientWithoutADomainIsRefused() throws Exception {
        // found by a black-box probe: James answered 503 but dropped the sender and kept the recipients, so the next
        // MAIL FROM got 250 and the message left with a sender its recipients were never checked under
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("250");
            assertThat(c.send("MAIL FROM:<dave@example.com>")).startsWith("503 5.5.1");
            assertThat(c.send("MAIL FROM:<dave@example.com>")).startsWith("503 5.5.1");
            // James took these as bob@localhost and relayed them there
            assertThat(c.send("RCPT TO:<bob>")).startsWith("553 5.1.3");
            assertThat(c.send("RCPT TO:<postmaster>")).startsWith("553 5.1.3");
            assertThat(c.send("RCPT TO:<carol@partner.example>")).startsWith("250");
            assertThat(c.send("DATA")).startsWith("354");
            assertThat(c.send("Subject: re\r\n\r\nhello\r\n.")).startsWith("250");
        }
        assertThat(queued).hasSize(1);
        SpoolEntry entry = dao.find(queued.get(0)).orElseThrow();
        assertThat(entry.envelope().sender()).isEqualTo("alice@example.com");
        assertThat(entry.envelope().recipients()).containsExactly("bob@partner.example", "carol@partner.example");
    }

    @Test
    void aHeaderOverOneMebibyteIsRefusedWith552AndLeavesNothingBehind() throws Exception {
        // found by a black-box probe: the fields after the header reader's limit escaped the rewrite of the header
        int port = start(List.of("127.0.0.0/8"), List.of());
        StringBuilder padding = new StringBuilder();
        while (padding.length() <= HeaderBlock.MAX_BYTES) {
            padding.append("X-Pad: ").append("a".repeat(900)).append("\r\n");
        }
        StringBuilder bigBody = new StringBuilder();
        while (bigBody.length() <= HeaderBlock.MAX_BYTES) {
            bigBody.append("b".repeat(900)).append("\r\n");
        }
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("250");
            assertThat(c.send("DATA")).startsWith("354");
            assertThat(c.send(padding + "To: c-7qf2@alias.example.net\r\nSubject: re\r\n\r\nhello\r\n."))
                    .startsWith("552 5.3.4 Message header exceeds");
            // the session goes on, and a large body under a short header is no header over the limit
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("250");
            assertThat(c.send("DATA")).startsWith("354");
            assertThat(c.send("Subject: re\r\n\r\n" + bigBody + ".")).startsWith("250");
        }
        assertThat(queued).hasSize(1);
        assertThat(java.nio.file.Files.list(dir.resolve("spool/incoming"))).as("refused messages leave nothing").isEmpty();
    }

    @Test
    void aHeaderLineThatIsNeitherAFieldNorAContinuationGetsAnEmptyLineBeforeItAndAnythingElseIsKeptAsSent()
            throws Exception {
        // found by a black-box probe: a first line " ; dmarc=pass ..." continued the Authentication-Results field Veil
        // writes on top, and a From after "X Bad: y" escaped DMARC; as in Postfix, such a line now starts the body
        int port = start(List.of("127.0.0.0/8"), List.of());
        Map<String, String> sentAndSpooled = new java.util.LinkedHashMap<>();
        sentAndSpooled.put(" ; dmarc=pass header.from=victim.example\r\nFrom: ceo@victim.example\r\n\r\nPay.\r\n",
                "\r\n ; dmarc=pass header.from=victim.example\r\nFrom: ceo@victim.example\r\n\r\nPay.\r\n");
        sentAndSpooled.put("Subject: a\r\nX Bad: y\r\nFrom: ceo@victim.example\r\n\r\nPay.\r\n",
                "Subject: a\r\n\r\nX Bad: y\r\nFrom: ceo@victim.example\r\n\r\nPay.\r\n");
        sentAndSpooled.put("Subject: a\r\n\tfolded\r\nFrom : ceo@victim.example\r\n\r\nX Bad: y\r\n",
                "Subject: a\r\n\tfolded\r\nFrom : ceo@victim.example\r\n\r\nX Bad: y\r\n");
        // an mbox line or a byte order mark before the header would end it below Veil's Received field: dropped
        sentAndSpooled.put("From alice@example.com Sat Jan  3 01:05:34 2026\r\nSubject: mbox\r\n\r\nhi\r\n",
                "Subject: mbox\r\n\r\nhi\r\n");
        sentAndSpooled.put("\uFEFFSubject: bom\r\n\r\nhi\r\n", "Subject: bom\r\n\r\nhi\r\n");
        // after a dropped mbox line the next line is judged as the first again (a probe's tab line after one wrote into
        // Veil's Received field); any number of marks and mbox lines go
        sentAndSpooled.put("From a@example.com Sat Jan  3 01:05:34 2026\r\n\tX-Smuggled: yes\r\nSubject: s\r\n\r\nhi\r\n",
                "\r\n\tX-Smuggled: yes\r\nSubject: s\r\n\r\nhi\r\n");
        sentAndSpooled.put("From a@example.com Sat Jan  3 01:05:34 2026\r\n\uFEFFSubject: mbox, bom\r\n\r\nhi\r\n",
                "Subject: mbox, bom\r\n\r\nhi\r\n");
        sentAndSpooled.put("\uFEFF\uFEFFSubject: two boms\r\n\r\nhi\r\n", "Subject: two boms\r\n\r\nhi\r\n");
        sentAndSpooled.put("\uFEFFFrom alice@example.com Sat Jan  3 01:05:34 2026\r\nFrom : a@example.com\r\n\r\nhi\r\n",
                "From : a@example.com\r\n\r\nhi\r\n");
        sentAndSpooled.put("Subject: no body, no empty line\r\n", "Subject: no body, no empty line\r\n");
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            for (String sent : sentAndSpooled.keySet()) {
                assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
                assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("250");
                assertThat(c.send("DATA")).startsWith("354");
                assertThat(c.send(sent + ".")).startsWith("250");
            }
        }
        assertThat(queued).hasSize(sentAndSpooled.size());
        int i = 0;
        for (String spooled : sentAndSpooled.values()) {
            QueueId id = queued.get(i++);
            String file = java.nio.file.Files.readString(spool.messageFile(id), StandardCharsets.ISO_8859_1);
            assertThat(withoutVeilsReceivedField(file, id, "bob@partner.example")).isEqualTo(spooled);
            assertThat(dao.find(id).orElseThrow().size()).isEqualTo(file.length());
        }
        assertThat(java.nio.file.Files.list(dir.resolve("spool/incoming"))).as("no copies left behind").isEmpty();
    }

    @Test
    void unknownAndMalformedAliasesAre550AndOutboundRejectRulesApplyAtRcpt() throws Exception {
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<c-unknown@alias.example.net>")).startsWith("550 5.1.1");
            assertThat(c.send("RCPT TO:<not-an-alias@alias.example.net>")).startsWith("550 5.1.1");
            assertThat(c.send("RCPT TO:<someone@competitor.example>"))
                    .startsWith("550 5.7.1 We do not write to competitor.example");
            assertThat(c.send("RCPT TO:<x%y@partner.example>")).startsWith("550 5.7.1");
            assertThat(c.send("RCPT TO:<@relay.example:x@partner.example>")).startsWith("550 5.7.1");
            assertThat(c.send("DATA")).startsWith("503");
        }
        assertThat(queued).isEmpty();
    }

    @Test
    void aTrustedNetworkSendsOnlyAsAProtectedDomainOrTheNullSender() throws Exception {
        // Exchange Online's ranges are shared by every tenant: trusting them is no licence to relay anyone's mail
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("MAIL FROM:<spammer@evil.example>")).startsWith("553 5.7.1");
            assertThat(c.send("MAIL FROM:<>")).startsWith("250");
            assertThat(c.send("RSET")).startsWith("250");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
        }
    }

    @Test
    void withExchangeTenantsSetATrustedNetworkHandsOverOnlyItsOwnTenantsMail() throws Exception {
        exchangeTenants = List.of("5f3c0a9e-1b2d-4c6e-8f70-123456789abc", "Example.onmicrosoft.com");
        int port = start(List.of("127.0.0.0/8"), List.of());
        String[] messages = {
            "X-MS-Exchange-CrossTenant-Id: 5F3C0A9E-1B2D-4C6E-8F70-123456789ABC\r\nSubject: ours\r\n\r\nhi\r\n.",
            "X-OriginatorOrg: example.onmicrosoft.com\r\nSubject: ours too\r\n\r\nhi\r\n.",
            "X-MS-Exchange-CrossTenant-Id: 00000000-0000-0000-0000-000000000000\r\nX-OriginatorOrg: evil.onmicrosoft.com"
                    + "\r\nSubject: another tenant's\r\n\r\nhi\r\n.",
            "Subject: no tenant at all\r\n\r\nhi\r\n."};
        String[] expected = {"250", "250", "550 5.7.1", "550 5.7.1"};
        sendFromExchange(port, messages, expected);
        assertThat(queued).hasSize(2);
        assertThat(java.nio.file.Files.list(dir.resolve("spool/incoming"))).as("refused messages leave nothing").isEmpty();
    }

    /** Each message, from alice@example.com to bob@partner.example, gets the reply that starts as expected. */
    private static void sendFromExchange(int port, String[] messages, String[] expected) throws Exception {
        try (Client c = new Client(port)) {
            c.send("EHLO mail.protection.outlook.com");
            for (int i = 0; i < messages.length; i++) {
                assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
                assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("250");
                assertThat(c.send("DATA")).startsWith("354");
                assertThat(c.send(messages[i])).as(messages[i]).startsWith(expected[i]);
            }
        }
    }

    @Test
    void anotherTenantsMailWithAForgedFieldNamingOursIsStillRefused() throws Exception {
        // any tenant's user can write X-OriginatorOrg (an X- field) into a message; Exchange then stamps its own
        // beside it: one field naming us was enough, and another tenant's connector could relay through Veil
        exchangeTenants = List.of("5f3c0a9e-1b2d-4c6e-8f70-123456789abc", "example.onmicrosoft.com");
        int port = start(List.of("127.0.0.0/8"), List.of());
        String[] messages = {
            "X-OriginatorOrg: example.onmicrosoft.com\r\nX-MS-Exchange-CrossTenant-Id:"
                    + " 00000000-0000-0000-0000-000000000000\r\nX-OriginatorOrg: evil.onmicrosoft.com"
                    + "\r\nSubject: forged\r\n\r\nhi\r\n.",
            "X-MS-Exchange-CrossTenant-Id: 5f3c0a9e-1b2d-4c6e-8f70-123456789abc\r\nX-OriginatorOrg:"
                    + " evil.onmicrosoft.com\r\nSubject: forged id\r\n\r\nhi\r\n.",
            "X-MS-Exchange-CrossTenant-Id: 5f3c0a9e-1b2d-4c6e-8f70-123456789abc\r\nX-OriginatorOrg:"
                    + " Example.onmicrosoft.com\r\nSubject: ours, both stamps\r\n\r\nhi\r\n."};
        String[] expected = {"550 5.7.1", "550 5.7.1", "250"};
        sendFromExchange(port, messages, expected);
        assertThat(queued).hasSize(1);
    }

    @Test
    void rcptParametersOfExtensionsNotOfferedAreRefusedWith555AndAnEnhancedCode() throws Exception {
        // James answered "504 Unrecognized or unsupported option: NOTIFY", without the enhanced code EHLO promises
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<bob@partner.example> NOTIFY=NEVER")).startsWith("555 5.5.4 RCPT parameter NOTIFY");
            assertThat(c.send("RCPT TO:<bob@partner.example> ORCPT=rfc822;bob@partner.example"))
                    .startsWith("555 5.5.4");
            assertThat(c.send("RCPT TO:<bob@partner.example>   ")).startsWith("250");
        }
    }

    @Test
    void anAliasForAnAddressVeilCannotRelayToIsRefusedForGoodNeverMangled() throws Exception {
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            // SMTPUTF8 addresses (relayed without SMTPUTF8, each char became one byte: j\xF6rg@..., "(7@..."), valid
            // addresses the envelope cannot carry as they are, and ones whose local part routes elsewhere (typed
            // directly they get 550 5.7.1): permanent, not "try again", and in the same words for every kind, since
            // the reply tells Exchange nothing about the correspondent's address
            Set<String> replies = new HashSet<>();
            for (String alias : List.of("c-utf8", "c-cjk", "c-quoted", "c-nodomain", "c-literal", "c-percent", "c-bang",
                    "c-dots")) {
                String reply = c.send("RCPT TO:<" + alias + "@alias.example.net>");
                assertThat(reply).as(alias).startsWith("550 5.1.1");
                replies.add(reply.replace(alias + "@", "ALIAS@"));
            }
            assertThat(replies).singleElement().asString().contains("cannot relay to").doesNotContain("ASCII", "quoted");
            assertThat(c.send("DATA")).startsWith("503");
        }
        assertThat(queued).isEmpty();
    }

    @Test
    void aFailingReidentifierMeansTryAgainLaterNeverAGuess() throws Exception {
        int port = start(List.of("127.0.0.0/8"), List.of());
        reidentifierFailure = new IllegalStateException("vault locked");
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            c.send("MAIL FROM:<alice@example.com>");
            assertThat(c.send("RCPT TO:<c-7qf2@alias.example.net>")).startsWith("451 4.3.0");
        }
        assertThat(queued).isEmpty();
    }

    @Test
    void aClientOutsideTheAllowedNetworksCanSendNothing() throws Exception {
        OutboundAccount alice = account("alice", "correct horse");
        int port = start(List.of("192.0.2.0/24"), List.of(alice));
        try (Client c = new Client(port)) {
            String ehlo = c.send("EHLO client.example.com");
            assertThat(ehlo).contains("STARTTLS").doesNotContain("AUTH");
            assertThat(c.send("AUTH PLAIN " + java.util.Base64.getEncoder().encodeToString(
                    "\0alice\0correct horse".getBytes(StandardCharsets.UTF_8)))).startsWith("538 5.7.11");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("530 5.7.0");
            assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("503");
            assertThat(c.send("DATA")).startsWith("503");
        }
        assertThat(queued).isEmpty();
    }

    @Test
    void withoutAccountsAnOutsiderHearsRelayAccessDenied() throws Exception {
        int port = start(List.of(), List.of());
        try (Client c = new Client(port)) {
            assertThat(c.send("EHLO client.example.com")).doesNotContain("AUTH");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("554 5.7.1");
        }
        assertThat(queued).isEmpty();
    }

    /**
     * RFC 3207 4.2: after STARTTLS the client greets again; the name from the plaintext EHLO is forgotten (a black-box
     * probe's MAIL was taken inside TLS without a new EHLO, and the envelope kept the plaintext name).
     */
    @Test
    void afterStartTlsTheClientMustGreetAgain() throws Exception {
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO pre-tls.example");
            c.startTls();
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("503");
            assertThat(c.send("EHLO client.example.com")).startsWith("250");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
        }
    }

    /**
     * RFC 4616 2: an authorization identity other than the user fails the authentication, given with the command or on
     * the next line (James logged {@code bob\0alice\0password} in as alice); empty or the user itself is fine.
     */
    @Test
    void plainWithAnotherAuthorizationIdentityFailsWhicheverWayItIsSent() throws Exception {
        OutboundAccount alice = account("alice", "correct horse");
        int port = start(List.of("192.0.2.0/24"), List.of(alice));
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            c.startTls();
            c.send("EHLO client.example.com");
            assertThat(c.send("AUTH PLAIN " + b64("bob\0alice\0correct horse"))).startsWith("535 5.7.8");
            assertThat(c.send("AUTH PLAIN")).startsWith("334");
            assertThat(c.send(b64("bob\0alice\0correct horse"))).startsWith("535 5.7.8");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).as("not logged in").startsWith("530");
            // the third failed login of the session ends it, as a third wrong password does (a black-box probe)
            assertThat(c.send("AUTH PLAIN " + b64("bob\0alice\0correct horse")))
                    .startsWith("421 4.7.0 Authentication credentials invalid");
            assertThat(c.in.readLine()).as("closed").isNull();
        }
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            c.startTls();
            c.send("EHLO client.example.com");
            assertThat(c.send("AUTH PLAIN")).startsWith("334");
            assertThat(c.send(b64("alice\0alice\0correct horse"))).startsWith("235");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
        }
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            c.startTls();
            c.send("EHLO client.example.com");
            assertThat(c.send("AUTH PLAIN " + b64("\0alice\0correct horse"))).startsWith("235");
        }
    }

    /**
     * AUTH waits for the EHLO that follows STARTTLS (RFC 3207 4.2), and a PLAIN response with more than RFC 4616's three
     * fields is malformed, not a login (both taken before, by a black-box probe).
     */
    @Test
    void authNeedsTheNewGreetingAndExactlyThreePlainFields() throws Exception {
        OutboundAccount alice = account("alice", "correct horse");
        int port = start(List.of("192.0.2.0/24"), List.of(alice));
        try (Client c = new Client(port)) {
            assertThat(c.send("HELO h.test")).isEqualTo("250 veil.test Hello h.test [127.0.0.1]");
        }
        try (Client c = new Client(port)) {
            // the greeting as RFC 5321 4.1.1.1 shows it (James wrote a closing parenthesis it never opened)
            assertThat(c.send("EHLO client.example.com")).startsWith("250-veil.test Hello client.example.com [127.0.0.1]\n")
                    .doesNotContain(")").contains("\n250-STARTTLS");
            c.startTls();
            assertThat(c.send("AUTH PLAIN " + b64("\0alice\0correct horse")))
                    .isEqualTo("503 5.5.1 Send EHLO first");
            c.send("EHLO client.example.com");
            assertThat(c.send("AUTH PLAIN " + b64("\0alice\0correct horse\0"))).startsWith("501 5.5.2");
            assertThat(c.send("AUTH PLAIN")).startsWith("334");
            assertThat(c.send(b64("alice\0alice\0correct horse\0x"))).startsWith("501 5.5.2");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).as("not logged in").startsWith("530");
            assertThat(c.send("AUTH PLAIN " + b64("\0alice\0correct horse"))).startsWith("235");
        }
        try (Client c = loggingIn(port)) {
            // the authorization identity is the user's name in other letters: user names compare without case
            assertThat(c.send("AUTH PLAIN " + b64("ALICE\0Alice\0correct horse"))).startsWith("235");
        }
    }

    /**
     * RFC 2034: James's own AUTH replies had no enhanced status code; and RFC 4954 4 forbids AUTH inside a mail
     * transaction, which James took (black-box probes).
     */
    @Test
    void authRepliesCarryEnhancedStatusCodes() throws Exception {
        OutboundAccount alice = account("alice", "correct horse");
        int port = start(List.of("127.0.0.0/8"), List.of(alice)); // a trusted network: MAIL without AUTH
        try (Client c = loggingIn(port)) {
            assertThat(c.send("AUTH CRAM-MD5")).matches("504 5\\.5\\.4 \\S.*");
            assertThat(c.send("AUTH PLAIN %%%not-base64%%%")).matches("501 5\\.5\\.2 \\S.*");
            assertThat(c.send("AUTH PLAIN")).startsWith("334");
            assertThat(c.send("%%%not-base64%%%")).matches("501 5\\.5\\.2 \\S.*");
            assertThat(c.send("MAIL FROM:<postmaster@example.com>")).as("from the allowed network").startsWith("250");
            assertThat(c.send("AUTH PLAIN " + b64("\0alice\0correct horse")))
                    .isEqualTo("503 5.5.1 AUTH is not permitted during a mail transaction");
            assertThat(c.send("RSET")).startsWith("250");
            assertThat(c.send("AUTH PLAIN " + b64("\0alice\0correct horse"))).startsWith("235 2.");
            assertThat(c.send("AUTH PLAIN " + b64("\0alice\0correct horse"))).matches("503 5\\.5\\.\\d \\S.*");
        }
    }

    /**
     * outbound.accounts[].senders ties an account to the envelope senders it may use, as Postfix's
     * reject_sender_login_mismatch: without it a user who logs in can send as any colleague. A configured user name
     * in capitals logs in too (James folds the name's case; it was compared as written and never matched).
     */
    @Test
    void anAccountWithSendersMaySendOnlyAsThem() throws Exception {
        OutboundAccount alice = account("Alice", "correct horse");
        alice.setSenders(List.of("alice@example.com", "reception@Example.COM"));
        OutboundAccount scanner = account("scanner", "battery staple");
        OutboundAccount office = account("office", "tr0ub4dor");
        office.setSenders(List.of("@Example.COM."));
        int port = start(List.of("192.0.2.0/24"), List.of(alice, scanner, office));
        try (Client c = loggingIn(port)) {
            assertThat(c.send(plainAuth("\0Alice\0correct horse"))).startsWith("235");
            assertThat(c.send("MAIL FROM:<bob@example.com>"))
                    .isEqualTo("553 5.7.1 Sender address rejected: not owned by user alice");
            assertThat(c.send("MAIL FROM:<>")).startsWith("553");
            assertThat(c.send("MAIL FROM:<alicex@example.com>")).startsWith("553");
            assertThat(c.send("MAIL FROM:<news+alice@example.com>")).startsWith("553");
            for (String own : List.of("alice@example.com", "ALICE@Example.COM", "alice+news@example.com",
                    "reception@example.com")) {
                assertThat(c.send("MAIL FROM:<" + own + ">")).as(own).startsWith("250");
                assertThat(c.send("RSET")).startsWith("250");
            }
        }
        try (Client c = loggingIn(port)) {
            assertThat(c.send(plainAuth("\0scanner\0battery staple"))).startsWith("235");
            assertThat(c.send("MAIL FROM:<bob@example.com>")).as("no senders: any protected address").startsWith("250");
        }
        try (Client c = loggingIn(port)) {
            assertThat(c.send(plainAuth("\0office\0tr0ub4dor"))).startsWith("235");
            assertThat(c.send("MAIL FROM:<bob@example.com>")).as("a whole domain").startsWith("250");
        }
        assertThat(queued).isEmpty();
    }

    /**
     * Failed logins count per client across sessions (outbound.maxAuthFailuresPerClient): once there are that many,
     * AUTH gets 421 before any password is read, the right one included; a client in outbound.allowedNetworks is not
     * counted. Without this a client that connected again after each third failure could guess on for ever.
     */
    @Test
    void aClientThatFailedTooOftenAcrossSessionsMayNotTryAgain() throws Exception {
        maxAuthFailuresPerClient = 4;
        OutboundAccount alice = account("alice", "correct horse");
        int port = start(List.of("192.0.2.0/24"), List.of(alice)); // loopback is counted
        try (Client c = loggingIn(port)) {
            assertThat(c.send(plainAuth("\0alice\0guess 1"))).startsWith("535");
            assertThat(c.send(plainAuth("\0alice\0guess 2"))).startsWith("535");
            assertThat(c.send(plainAuth("\0alice\0guess 3"))).startsWith("421");
        }
        try (Client c = loggingIn(port)) {
            assertThat(c.send(plainAuth("bob\0alice\0correct horse"))).as("the fourth").startsWith("535");
            assertThat(c.send(plainAuth("\0alice\0correct horse")))
                    .startsWith("421 4.7.0 Too many failed logins from your address");
            assertThat(c.reply()).isEqualTo("(closed)");
        }
        try (Client c = loggingIn(port)) {
            assertThat(c.send("AUTH LOGIN")).startsWith("421 4.7.0 Too many failed logins");
        }
        listener.stop();
        database.close();

        int exempt = start(List.of("127.0.0.0/8"), List.of(alice));
        for (int session = 0; session < 2; session++) {
            try (Client c = loggingIn(exempt)) {
                assertThat(c.send(plainAuth("\0alice\0guess 1"))).startsWith("535");
                assertThat(c.send(plainAuth("\0alice\0guess 2"))).startsWith("535");
                assertThat(c.send(plainAuth("\0alice\0guess 3"))).startsWith("421 4.7.0 Authentication");
            }
        }
        try (Client c = loggingIn(exempt)) {
            assertThat(c.send(plainAuth("\0alice\0correct horse"))).startsWith("235");
        }
    }

    private static Client loggingIn(int port) throws Exception {
        Client c = new Client(port);
        c.send("EHLO client.example.com");
        c.startTls();
        c.send("EHLO client.example.com");
        return c;
    }

    /** RFC 5321 4.5.3.1.2: a HELO/EHLO name of printable ASCII, at most 255 octets; James took 64 KiB and control bytes. */
    @Test
    void anOverlongOrUnprintableGreetingNameIsRefused() throws Exception {
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            assertThat(c.send("EHLO " + "h".repeat(256))).startsWith("501 5.5.2");
            assertThat(c.send("EHLO a\u0001b")).startsWith("501 5.5.2");
            assertThat(c.send("HELO " + "h".repeat(300))).startsWith("501 5.5.2");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).as("no greeting was taken").startsWith("503");
            assertThat(c.send("EHLO " + "h".repeat(255))).startsWith("250");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
        }
    }

    /** After smtp.maxErrorsPerSession error replies the session ends with 421 (Postfix's smtpd_hard_error_limit). */
    @Test
    void aSessionThatKeepsGettingErrorsIsClosed() throws Exception {
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            for (int i = 1; i < 20; i++) {
                assertThat(c.send("FOO " + i)).startsWith("500");
            }
            assertThat(c.send("FOO 20")).startsWith("421 4.7.0 Too many errors");
            assertThat(c.in.readLine()).as("closed").isNull();
        }
        try (Client c = new Client(port)) { // a new session starts at none; the same error reply counts each time
            c.send("EHLO client.example.com");
            for (int i = 1; i < 20; i++) {
                assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("503");
            }
            assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("421 4.7.0 Too many errors");
        }
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("FOO")).startsWith("500");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
        }
    }

    /**
     * Recipients past smtp.maxRecipients get 452 4.5.3 and are not errors, up to 1000 of them in a session (Postfix's
     * smtpd_recipient_overshoot_limit); a mailbox named again is not one more. A black-box probe: a reply-all to 130
     * people ended with 421 at the 20th 452, and the transaction of the 100 accepted was lost, on every retry.
     */
    @Test
    void recipientsPastTheLimitAreNotErrorsUntilAThousand() throws Exception {
        maxRecipients = 2;
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<c-7qf2@alias.example.net>")).startsWith("250");
            assertThat(c.send("RCPT TO:<carol@other.example>")).startsWith("250");
            for (int i = 0; i < 50; i++) {
                assertThat(c.send("RCPT TO:<u" + i + "@other.example>")).as("past the limit %d", i)
                        .startsWith("452 4.5.3 Too many recipients");
            }
            assertThat(c.send("RCPT TO:<c-7qf2@alias.example.net>")).as("named again").startsWith("250");
            assertThat(c.send("DATA")).startsWith("354");
            c.out.write("Subject: many\r\n\r\nx\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
            assertThat(c.reply()).startsWith("250");
        }
        assertThat(queued).hasSize(1);
        assertThat(dao.find(queued.get(0)).orElseThrow().envelope().recipients())
                .containsExactly("bob@partner.example", "carol@other.example");
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RCPT TO:<carol@other.example>")).startsWith("250");
            assertThat(c.send("RCPT TO:<dave@other.example>")).startsWith("250");
            for (int i = 0; i < 1000; i++) {
                assertThat(c.send("RCPT TO:<u" + i + "@other.example>")).as("past the limit %d", i).startsWith("452");
            }
            // past the overshoot each one counts, as any error: the 20th ends the session
            for (int i = 1; i < 20; i++) {
                assertThat(c.send("RCPT TO:<v" + i + "@other.example>")).as("error %d", i).startsWith("452");
            }
            assertThat(c.send("RCPT TO:<v20@other.example>")).startsWith("421 4.7.0 Too many errors");
            assertThat(c.in.readLine()).as("closed").isNull();
        }
    }

    /**
     * Inside TLS the session reads commands until DATA, one line each, under the command deadline. Found by a black-box
     * probe: James turns its command-injection flag off at STARTTLS, which the framer and the deadline took for "in
     * DATA": pipelined commands went on as one line (555), and NOOPs were cut at the data deadline.
     */
    @Test
    void insideTlsCommandsArePipelinedAndJudgedAsCommands() throws Exception {
        idleTimeout = io.dropwizard.util.Duration.seconds(2);
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            c.startTls();
            c.send("EHLO client.example.com");
            for (int i = 0; i < 6; i++) {
                Thread.sleep(700);
                assertThat(c.send("NOOP")).as("NOOP %d, %d ms into TLS", i, (i + 1) * 700).startsWith("250");
            }
            c.out.write("MAIL FROM:<alice@example.com>\r\nRSET\r\n".getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
            assertThat(c.reply()).startsWith("250 2.1.0");
            assertThat(c.reply()).startsWith("250 2.0.0");
        }
    }

    /**
     * Past smtp.maxJunkCommandsPerSession (100) NOOP, RSET, VRFY and HELP commands, each further one counts as an error
     * (Postfix's smtpd_junk_command_limit): one NOOP within every idle timeout kept a session for ever.
     */
    @Test
    void aSessionThatOnlyKeepsItselfAliveEnds() throws Exception {
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            List<String> junk = List.of("NOOP", "RSET", "NOOP x");
            for (int i = 1; i <= 100; i++) {
                assertThat(c.send(junk.get(i % junk.size()))).as("junk command %d", i).startsWith("250");
            }
            // HELP's own error reply counts once, not twice
            assertThat(c.send("HELP")).as("101st").startsWith("502");
            for (int i = 2; i < 20; i++) {
                assertThat(c.send(junk.get(i % junk.size()))).as("error %d", i).startsWith("250");
            }
            assertThat(c.send("NOOP")).startsWith("421 4.7.0 Too many errors");
            assertThat(c.in.readLine()).as("closed").isNull();
        }
        try (Client c = new Client(port)) { // mail between them does not reset the count, and is not counted
            c.send("EHLO client.example.com");
            for (int i = 1; i <= 100; i++) {
                c.send("NOOP");
            }
            assertThat(c.send("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(c.send("RSET")).startsWith("250");
        }
    }

    /**
     * RFC 5321 appendix C: a source route in the reverse path is accepted and ignored (James answered 501); RFC 1870 and
     * 4.1.1.2: SIZE is digits, and a parameter comes once (SIZE=-1 and SIZE=10 SIZE=20 were taken). A black-box probe.
     */
    @Test
    void aSourceRoutedSenderIsTakenWithoutItsRouteAndMailParametersAreChecked() throws Exception {
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            assertThat(c.send("MAIL FROM:<alice@example.com> SIZE=-1")).startsWith("501 5.5.4");
            assertThat(c.send("MAIL FROM:<alice@example.com> SIZE=10 SIZE=20")).startsWith("501 5.5.4");
            assertThat(c.send("MAIL FROM:<alice@example.com> SIZE=10 size=20")).startsWith("501 5.5.4");
            assertThat(c.send("MAIL FROM:<@relay.example,@b.example:alice@example.com> SIZE=10")).startsWith("250");
            assertThat(c.send("RCPT TO:<bob@partner.example>")).startsWith("250");
            assertThat(c.send("DATA")).startsWith("354");
            assertThat(c.send("Subject: routed\r\n\r\nhello\r\n.")).startsWith("250");
        }
        assertThat(queued).hasSize(1);
        assertThat(dao.find(queued.get(0)).orElseThrow().envelope().sender()).isEqualTo("alice@example.com");
    }

    /** A sender's local part that routes elsewhere is refused as a recipient's is (a black-box probe's were taken). */
    @Test
    void aSenderWhoseLocalPartRoutesElsewhereIsRefused() throws Exception {
        int port = start(List.of("127.0.0.0/8"), List.of());
        try (Client c = new Client(port)) {
            c.send("EHLO client.example.com");
            for (String sender : List.of("x%evil.example@example.com", "\"x@evil.example\"@example.com",
                    "evil.example!x@example.com")) {
                assertThat(c.send("MAIL FROM:<" + sender + ">")).as(sender).startsWith("553 5.7.1");
            }
            assertThat(c.send("MAIL FROM:<alice+news@example.com>")).startsWith("250");
        }
    }

    private static OutboundAccount account(String username, String password) {
        OutboundAccount account = new OutboundAccount();
        account.setUsername(username);
        account.setPasswordHash(PasswordHash.hash(password.toCharArray()));
        return account;
    }

    private static String b64(String text) {
        return java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code AUTH PLAIN} with the response given with the command. */
    private static String plainAuth(String response) {
        return "AUTH PLAIN " + b64(response);
    }
}
