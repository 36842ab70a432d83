package dev.veil.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.gateway.UpstreamSettings;
import dev.veil.gateway.core.QueueId;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmtpUpstreamTest {
    @TempDir
    Path dir;

    @Test
    void aNonAsciiRecipientFailsForGoodBeforeAnyConnectionNeverAsMangledBytes() throws Exception {
        Path message = dir.resolve("m.eml");
        Files.writeString(message, "Subject: x\r\n\r\nbody\r\n");
        try (ServerSocket upstream = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            AtomicInteger connections = new AtomicInteger();
            Thread accept = new Thread(() -> {
                try (Socket s = upstream.accept()) {
                    connections.incrementAndGet();
                } catch (Exception ignored) {
                    // closed at the end of the test
                }
            });
            accept.setDaemon(true);
            accept.start();
            SmtpUpstream relay = relayTo(upstream);

            assertThatThrownBy(() -> relay.send(QueueId.next(), OutgoingMessage.of(message), "alice@example.com",
                    List.of("bob@partner.example", "j\u00f6rg@xn--bcher-kva.example")))
                    .isInstanceOf(PermanentFailureException.class).hasMessageContaining("553 5.6.7");
            Thread.sleep(200);
            assertThat(connections.get()).isZero();
        }
    }

    private static final String PERM_BOB = "550 5.1.1 unknown permbob@partner.example permbob%40partner.example"
            + " user=permbob host mx.partner.example [192.0.2.77]";
    private static final String DATA_REFUSED = "554 5.6.0 content rejected";

    /**
     * One recipient refused at RCPT, the other accepted there and then refused with the whole message at the final
     * dot: each is reported with its own reply. The RCPT reply of the first (which names that recipient) must not
     * stand for the second, and the DATA reply must not be lost.
     */
    @Test
    void eachRecipientCarriesItsOwnReplyWhenDataIsRefusedAfterAnotherWasRefusedAtRcpt() throws Exception {
        PartialDeliveryException e = sendThroughScriptedUpstream(DATA_REFUSED,
                List.of("permbob@partner.example", "datapermevil@attacker.example"));

        assertThat(e.delivered()).isEmpty();
        assertThat(e.temporaryFailures()).isEmpty();
        assertThat(e.permanentFailures()).containsExactlyInAnyOrder("permbob@partner.example",
                "datapermevil@attacker.example");
        assertThat(e.replyFor("permbob@partner.example")).isEqualTo(PERM_BOB);
        assertThat(e.replyFor("datapermevil@attacker.example")).isEqualTo(DATA_REFUSED);
    }

    /** The same with a temporary refusal at the final dot: that recipient is retried, the other bounces. */
    @Test
    void aTemporaryRefusalAtTheFinalDotDefersOnlyTheRecipientsAcceptedAtRcpt() throws Exception {
        PartialDeliveryException e = sendThroughScriptedUpstream("451 4.3.0 try again later",
                List.of("permbob@partner.example", "carol@other.example"));

        assertThat(e.permanentFailures()).containsExactly("permbob@partner.example");
        assertThat(e.temporaryFailures()).containsExactly("carol@other.example");
        assertThat(e.replyFor("permbob@partner.example")).isEqualTo(PERM_BOB);
        assertThat(e.replyFor("carol@other.example")).isEqualTo("451 4.3.0 try again later");
    }

    /**
     * A server that hangs up instead of replying (at RCPT, or after the data's final dot): Jakarta Mail calls it
     * "[EOF]", all a probe's queue showed. The reason now says what happened, and that data sent may have arrived.
     */
    @Test
    void aServerThatHangsUpInsteadOfReplyingIsSaidSoInWords() throws Exception {
        Path message = dir.resolve("m.eml");
        Files.writeString(message, "Subject: x\r\n\r\nbody\r\n");
        for (String hangUpAt : List.of("RCPT", ".")) {
            try (ServerSocket upstream = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                Thread server = new Thread(() -> {
                    try (Socket s = upstream.accept();
                         java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                                 s.getInputStream(), StandardCharsets.US_ASCII));
                         java.io.Writer out = new java.io.OutputStreamWriter(s.getOutputStream(),
                                 StandardCharsets.US_ASCII)) {
                        out.write("220 sink\r\n");
                        out.flush();
                        for (String line = in.readLine(); line != null; line = in.readLine()) {
                            if (line.toUpperCase(Locale.ROOT).startsWith(hangUpAt)) {
                                return; // closes the connection without a reply
                            }
                            String upper = line.toUpperCase(Locale.ROOT);
                            if (upper.startsWith("EHLO")) {
                                out.write("250-sink\r\n250 PIPELINING\r\n");
                            } else if (upper.startsWith("DATA")) {
                                out.write("354 go\r\n");
                            } else if (line.startsWith("Subject") || line.isEmpty() || line.equals("body")) {
                                continue;
                            } else {
                                out.write("250 ok\r\n");
                            }
                            out.flush();
                        }
                    } catch (Exception ignored) {
                        // the test's end
                    }
                });
                server.setDaemon(true);
                server.start();
                SmtpUpstream relay = relayTo(upstream);
                try {
                    assertThatThrownBy(() -> relay.send(QueueId.next(), OutgoingMessage.of(message),
                            "plain@example.com", List.of("bob@partner.example")))
                            .as("hang up at " + hangUpAt)
                            .isInstanceOf(TemporaryFailureException.class)
                            .satisfies(e -> assertThat(e.getMessage() + " " + ((TemporaryFailureException) e)
                                    .toString()).contains("closed the connection without a reply"));
                } finally {
                    relay.close();
                }
            }
        }
    }

    /**
     * Relays to a server that refuses RCPT for a local part starting "permbob" (with {@link #PERM_BOB}), accepts
     * every other and answers the final dot with {@code dataReply}.
     */
    private PartialDeliveryException sendThroughScriptedUpstream(String dataReply, List<String> recipients)
            throws Exception {
        Path message = dir.resolve("m.eml");
        Files.writeString(message, "Subject: x\r\n\r\nbody\r\n");
        try (ServerSocket upstream = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            serve(upstream, true, line -> line.toUpperCase(Locale.ROOT).startsWith("RCPT")
                    && line.toLowerCase(Locale.ROOT).contains("<permbob") ? PERM_BOB : "250 ok", dataReply);
            SmtpUpstream relay = relayTo(upstream);
            try {
                relay.send(QueueId.next(), OutgoingMessage.of(message), "plain@example.com", recipients);
            } catch (PartialDeliveryException e) {
                return e;
            } finally {
                relay.close();
            }
            throw new AssertionError("expected each recipient's own reply, got delivery or one reply for all");
        }
    }

    /**
     * RFC 6152 3: 8-bit content goes with BODY=8BITMIME, to a server that offers it (a black-box probe's 8-bit reply
     * went out without it); 7-bit content, or a server without 8BITMIME, gets a plain MAIL FROM.
     */
    @Test
    void eightBitContentIsDeclaredWhereTheServerOffersIt() throws Exception {
        Path eightBit = dir.resolve("8bit.eml");
        Files.write(eightBit, "Subject: caf\u00e9\r\n\r\ncaf\u00e9 au lait\r\n".getBytes(StandardCharsets.UTF_8));
        Path ascii = dir.resolve("ascii.eml");
        Files.writeString(ascii, "Subject: tea\r\n\r\n" + "x".repeat(100_000) + "\r\n");
        assertThat(mailCommands(true, eightBit, ascii)).containsExactly(
                "MAIL FROM:<plain@example.com> BODY=8BITMIME", "MAIL FROM:<plain@example.com>");
        assertThat(mailCommands(false, eightBit)).containsExactly("MAIL FROM:<plain@example.com>");
        // the ARC fields put in front are part of the message too
        assertThat(OutgoingMessage.of(ascii).hasEightBitOctets()).isFalse();
        assertThat(new OutgoingMessage("X-Name: J\u00f6rg\r\n".getBytes(StandardCharsets.UTF_8), ascii)
                .hasEightBitOctets()).isTrue();
    }

    /**
     * RFC 1870: a server that offers SIZE is told each message's size at MAIL FROM; a message over the limit its EHLO
     * reply gives is not sent at all but bounces with 552 5.3.4 at once, and the connection serves the next message.
     */
    @Test
    void aServerOfferingSizeIsToldTheSizeAndAMessageOverItsLimitBouncesWithoutBeingSent() throws Exception {
        Path small = dir.resolve("small.eml");
        Files.writeString(small, "Subject: tea\r\n\r\nhello\r\n");
        Path large = dir.resolve("large.eml");
        Files.writeString(large, "Subject: big\r\n\r\n" + "x".repeat(2000) + "\r\n");
        assertThat(mailCommands("250-scripted.test\r\n250-SIZE 1000\r\n250 8BITMIME", small))
                .containsExactly("MAIL FROM:<plain@example.com> SIZE=" + Files.size(small));
        assertThat(mailCommands("250-scripted.test\r\n250 SIZE", small)).as("SIZE without a limit")
                .containsExactly("MAIL FROM:<plain@example.com> SIZE=" + Files.size(small));

        List<String> mail = mailCommands("250-scripted.test\r\n250 SIZE 1000", relay -> {
            relay.send(QueueId.next(), OutgoingMessage.of(small), "plain@example.com", List.of("bob@partner.example"));
            assertThatThrownBy(() -> relay.send(QueueId.next(), OutgoingMessage.of(large), "plain@example.com",
                    List.of("bob@partner.example")))
                    .isInstanceOf(PermanentFailureException.class)
                    .hasMessage("552 5.3.4 Message size " + Files.size(large) + " (as Veil sends it) exceeds the"
                            + " fixed maximum message size of 1000 octets of the next server (SIZE in its EHLO reply)");
            relay.send(QueueId.next(), OutgoingMessage.of(small), "plain@example.com", List.of("bob@partner.example"));
        });
        assertThat(mail).as("the large one was never offered")
                .containsExactly("MAIL FROM:<plain@example.com> SIZE=" + Files.size(small),
                        "MAIL FROM:<plain@example.com> SIZE=" + Files.size(small));

        // a probe: a pooled connection's EHLO reply was trusted after the relay had gone and come back with another
        // limit; a message over the old one is asked about on a fresh connection before it bounces
        List<String> raised = mailCommands(connection -> "250-scripted.test\r\n250 SIZE "
                + (connection == 0 ? 1000 : 100_000), relay -> {
                    relay.send(QueueId.next(), OutgoingMessage.of(small), "plain@example.com",
                            List.of("bob@partner.example"));
                    relay.send(QueueId.next(), OutgoingMessage.of(large), "plain@example.com",
                            List.of("bob@partner.example"));
                });
        assertThat(raised).containsExactly("MAIL FROM:<plain@example.com> SIZE=" + Files.size(small),
                "MAIL FROM:<plain@example.com> SIZE=" + Files.size(large));
        assertThat(SmtpUpstream.sizeLimit(" 35882577 ")).isEqualTo(35882577);
        assertThat(SmtpUpstream.sizeLimit("lots")).isZero();
        assertThat(SmtpUpstream.sizeLimit(null)).isZero();
    }

    /**
     * A smart host that asks for AUTH (a provider's relay, for outbound.relay) gets the user inside TLS: the password
     * is refused at start without tls: required, a wrong one defers the message, and a server that does not offer
     * AUTH is not sent the mail unauthenticated.
     */
    @Test
    void aSmartHostGetsTheUserAndPasswordInsideTls() throws Exception {
        javax.net.ssl.SSLContext tls = dev.veil.crypto.SelfSignedTls.serverContext(null, new char[0],
                dir.resolve("tls"), "relay.test");
        Path message = dir.resolve("m.eml");
        Files.writeString(message, "Subject: hi\r\n\r\nhello\r\n");
        // RFC 4616: the authorization identity empty or the user itself (Jakarta Mail sends the user)
        String plain = java.util.Base64.getEncoder().encodeToString("veil\0veil\0s3cret pass"
                .getBytes(StandardCharsets.UTF_8));

        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        assertThat(sendToSmartHost(tls, true, plain, seen, "s3cret pass", message)).isNull();
        assertThat(seen).containsSubsequence("plain: STARTTLS", "tls: AUTH PLAIN " + plain,
                "tls: MAIL FROM:<alice@example.com>", "tls: .");
        assertThat(String.join("\n", seen)).doesNotContain("plain: AUTH");

        seen.clear();
        assertThat(sendToSmartHost(tls, true, plain, seen, "wrong", message))
                .isInstanceOf(TemporaryFailureException.class);
        assertThat(String.join("\n", seen)).doesNotContain("MAIL FROM");

        seen.clear();
        assertThat(sendToSmartHost(tls, false, plain, seen, "s3cret pass", message))
                .isInstanceOf(TemporaryFailureException.class).hasMessageContaining("did not offer AUTH");
        assertThat(String.join("\n", seen)).doesNotContain("MAIL FROM");

        UpstreamSettings opportunistic = new UpstreamSettings();
        opportunistic.setMode(UpstreamSettings.Mode.smtp);
        opportunistic.setHost("relay.test");
        opportunistic.setUsername("veil");
        opportunistic.setPassword("s3cret pass");
        opportunistic.setTls(UpstreamSettings.Tls.starttls);
        assertThatThrownBy(() -> opportunistic.requireHost("outbound.relay")).hasMessage(
                "outbound.relay.username needs outbound.relay.tls: required (the password is sent only inside TLS)");
        opportunistic.setTls(UpstreamSettings.Tls.required);
        opportunistic.setPassword("");
        assertThatThrownBy(() -> opportunistic.requireHost("outbound.relay")).hasMessage("outbound.relay.username is"
                + " set but outbound.relay.password and outbound.relay.passwordFile are both empty");
        Path file = dir.resolve("relay.password");
        Files.writeString(file, "from a file\nsecond line\n");
        opportunistic.setPasswordFile(file.toString());
        assertThat(opportunistic.credentials("outbound.relay").orElseThrow().getPassword()).isEqualTo("from a file");
        opportunistic.setUsername("");
        assertThatThrownBy(() -> opportunistic.requireHost("outbound.relay"))
                .hasMessage("outbound.relay.password is set but outbound.relay.username is empty");
    }

    /** One message relayed through a scripted smart host ({@link #serveTlsWithAuth}); what it threw, or null. */
    private Exception sendToSmartHost(javax.net.ssl.SSLContext tls, boolean offersAuth, String expected,
                                      List<String> seen, String password, Path message) throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            serveTlsWithAuth(upstream, tls, offersAuth, expected, seen);
            SmtpUpstream relay = new SmtpUpstream(withAuth(upstream, password), "veil.test", "outbound.relay");
            try {
                relay.send(QueueId.next(), OutgoingMessage.of(message), "alice@example.com",
                        List.of("bob@partner.example"));
                return null;
            } catch (Exception e) {
                return e;
            } finally {
                relay.close();
            }
        }
    }

    private UpstreamSettings withAuth(ServerSocket upstream, String password) throws Exception {
        UpstreamSettings settings = new UpstreamSettings();
        settings.setMode(UpstreamSettings.Mode.smtp);
        settings.setHost("127.0.0.1");
        settings.setPort(upstream.getLocalPort());
        settings.setTls(UpstreamSettings.Tls.required);
        settings.setTrustStore(dir.resolve("tls/smtp.p12").toString());
        settings.setTrustStorePassword(Files.readString(dir.resolve("tls/smtp.p12.password")).trim());
        settings.setVerifyHostname(false);
        settings.setUsername("veil");
        settings.setPassword(password);
        return settings;
    }

    /**
     * A scripted smart host for one connection: STARTTLS first, then AUTH PLAIN (offered when {@code offersAuth})
     * taking only {@code expected}; every line it reads goes to {@code seen} as "plain: ..." or "tls: ...".
     */
    private static void serveTlsWithAuth(ServerSocket upstream, javax.net.ssl.SSLContext tls, boolean offersAuth,
                                         String expected, List<String> seen) {
        Thread server = new Thread(() -> {
            try (Socket s = upstream.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                        StandardCharsets.ISO_8859_1));
                OutputStream out = s.getOutputStream();
                say(out, "220 scripted.test ESMTP");
                for (String line; (line = in.readLine()) != null; ) {
                    seen.add("plain: " + line);
                    if (line.startsWith("EHLO")) {
                        say(out, "250-scripted.test\r\n250 STARTTLS");
                    } else if (line.equals("STARTTLS")) {
                        say(out, "220 go ahead");
                        break;
                    } else {
                        say(out, "530 5.7.0 STARTTLS first");
                    }
                }
                javax.net.ssl.SSLSocket secure = (javax.net.ssl.SSLSocket) tls.getSocketFactory()
                        .createSocket(s, "127.0.0.1", s.getPort(), false);
                secure.setUseClientMode(false);
                secure.startHandshake();
                in = new BufferedReader(new InputStreamReader(secure.getInputStream(), StandardCharsets.ISO_8859_1));
                out = secure.getOutputStream();
                boolean data = false;
                boolean authenticated = false;
                for (String line; (line = in.readLine()) != null; ) {
                    seen.add("tls: " + line);
                    if (data) {
                        if (line.equals(".")) {
                            data = false;
                            say(out, "250 queued");
                        }
                    } else if (line.startsWith("EHLO")) {
                        say(out, offersAuth ? "250-scripted.test\r\n250 AUTH PLAIN LOGIN" : "250 scripted.test");
                    } else if (line.startsWith("AUTH PLAIN ")) {
                        authenticated = line.equals("AUTH PLAIN " + expected);
                        say(out, authenticated ? "235 2.7.0 ok" : "535 5.7.8 bad credentials");
                    } else if (line.equals("QUIT")) {
                        say(out, "221 bye");
                        return;
                    } else if (!authenticated) {
                        say(out, "530 5.7.0 authentication required");
                    } else if (line.equals("DATA")) {
                        data = true;
                        say(out, "354 go ahead");
                    } else {
                        say(out, "250 ok");
                    }
                }
            } catch (Exception ignored) {
                // closed at the end of the test
            }
        });
        server.setDaemon(true);
        server.start();
    }

    /** The MAIL commands a server that accepts everything got for {@code messages}, sent one after another. */
    private List<String> mailCommands(boolean offers8BitMime, Path... messages) throws Exception {
        return mailCommands(offers8BitMime ? "250-scripted.test\r\n250 8BITMIME" : "250 scripted.test", messages);
    }

    private List<String> mailCommands(String ehloReply, Path... messages) throws Exception {
        return mailCommands(ehloReply, relay -> {
            for (Path message : messages) {
                relay.send(QueueId.next(), OutgoingMessage.of(message), "plain@example.com",
                        List.of("bob@partner.example"));
            }
        });
    }

    /** What the relay is made to do in {@link #mailCommands(String, RelayUse)}. */
    @FunctionalInterface
    private interface RelayUse {
        void with(SmtpUpstream relay) throws Exception;
    }

    /** The MAIL commands a server with this EHLO reply that accepts everything got while {@code use} ran. */
    private List<String> mailCommands(String ehloReply, RelayUse use) throws Exception {
        return mailCommands(connection -> ehloReply, use);
    }

    /** As above, with the EHLO reply by the connection's number, from 0. */
    private List<String> mailCommands(java.util.function.IntFunction<String> ehloReply, RelayUse use) throws Exception {
        List<String> mail = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ServerSocket upstream = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            serve(upstream, ehloReply, line -> {
                if (line.toUpperCase(Locale.ROOT).startsWith("MAIL")) {
                    mail.add(line);
                }
                return "250 ok";
            }, "250 queued");
            SmtpUpstream relay = relayTo(upstream);
            try {
                use.with(relay);
            } finally {
                relay.close();
            }
        }
        return mail;
    }

    /**
     * A scripted SMTP server on {@code upstream}, for one connection: EHLO offers 8BITMIME or not, every other command
     * before DATA gets {@code reply}'s answer, the final dot gets {@code dataReply}.
     */
    private static void serve(ServerSocket upstream, boolean offers8BitMime,
                              java.util.function.Function<String, String> reply, String dataReply) {
        serve(upstream, offers8BitMime ? "250-scripted.test\r\n250 8BITMIME" : "250 scripted.test", reply, dataReply);
    }

    /** As above, with {@code ehloReply} for EHLO. */
    private static void serve(ServerSocket upstream, String ehloReply,
                              java.util.function.Function<String, String> reply, String dataReply) {
        serve(upstream, connection -> ehloReply, reply, dataReply);
    }

    /** As above, for one connection after another; {@code ehloReply} by the connection's number, from 0. */
    private static void serve(ServerSocket upstream, java.util.function.IntFunction<String> ehloReply,
                              java.util.function.Function<String, String> reply, String dataReply) {
        Thread server = new Thread(() -> {
            for (int connection = 0; !upstream.isClosed(); connection++) {
                try (Socket s = upstream.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                            StandardCharsets.ISO_8859_1));
                    OutputStream out = s.getOutputStream();
                    say(out, "220 scripted.test ESMTP");
                    boolean data = false;
                    for (String line; (line = in.readLine()) != null; ) {
                        String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(Locale.ROOT) : line;
                        if (data) {
                            if (line.equals(".")) {
                                data = false;
                                say(out, dataReply);
                            }
                        } else if (verb.equals("EHLO")) {
                            say(out, ehloReply.apply(connection));
                        } else if (verb.equals("DATA")) {
                            data = true;
                            say(out, "354 go ahead");
                        } else if (verb.equals("QUIT")) {
                            say(out, "221 bye");
                            break;
                        } else {
                            say(out, reply.apply(line));
                        }
                    }
                } catch (Exception ignored) {
                    // closed at the end of the test, or by the client
                }
            }
        });
        server.setDaemon(true);
        server.start();
    }

    /** A relay to the plain-text SMTP server listening on {@code upstream}. */
    private static SmtpUpstream relayTo(ServerSocket upstream) throws Exception {
        UpstreamSettings settings = new UpstreamSettings();
        settings.setHost("127.0.0.1");
        settings.setPort(upstream.getLocalPort());
        settings.setTls(UpstreamSettings.Tls.none);
        return new SmtpUpstream(settings, "veil.test");
    }

    private static void say(OutputStream out, String line) throws java.io.IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }
}
