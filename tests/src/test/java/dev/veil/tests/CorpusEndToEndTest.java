package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import dev.veil.tests.support.Corpus;
import dev.veil.tests.support.ExchangeAndVeil;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.MessageText;
import dev.veil.tests.support.Tools;
import dev.veil.tests.support.VeilReceived;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every message of the shared corpus goes through a real Veil process, sent by curl, relayed to GreenMail (the
 * Exchange stand-in). What arrived must hide the subject and content, and must decrypt with openssl — with the
 * exported escrow key and with the recipient's exported PKCS#12 — to the original, byte for byte.
 */
class CorpusEndToEndTest {
    private static final String RECIPIENT = "reader@example.com";
    private static final java.util.Set<String> OUTER_FIELDS = java.util.Set.of("return-path", "from", "to", "cc",
            "date", "message-id", "in-reply-to", "references", "sender", "reply-to", "subject", "mime-version",
            "content-type", "content-disposition", "content-transfer-encoding",
            // the fields that stop automatic replies, as their keywords (AutoReplyFields)
            "auto-submitted", "precedence", "x-auto-response-suppress");
    @TempDir
    static Path dir;
    static ExchangeAndVeil started;
    static GreenMail exchange;
    static GatewayProcess veil;

    @BeforeAll
    static void start() {
        started = ExchangeAndVeil.start(dir.resolve("veil-data"));
        exchange = started.exchange();
        veil = started.veil();
    }

    @AfterAll
    static void stop() {
        if (started != null) {
            started.close();
        }
    }

    @Test
    void everyCorpusMessageArrivesEncryptedAndDecryptsToTheOriginalWithStandardTools() throws Exception {
        Path escrow = started.exportEscrow(dir.resolve("escrow"));
        Path userPem = null;
        List<String> failures = new ArrayList<>();
        List<Path> messages = Corpus.messages();
        int encrypted = 0;
        int passedThrough = 0;
        int headersEnded = 0;
        java.util.Map<Path, byte[]> decryptedByVeil = new java.util.LinkedHashMap<>();
        for (Path file : messages) {
            String name = Corpus.root().relativize(file).toString();
            byte[] original = Corpus.asSmtpData(Files.readAllBytes(file));
            Path sent = dir.resolve("sent.eml");
            Files.write(sent, original);
            int before = exchange.getReceivedMessages().length;
            Tools.Result curl = Tools.curlSend(veil.smtpPort(), "sender@partner.example", RECIPIENT, sent);
            if (curl.exitCode() != 0) {
                failures.add(name + ": not accepted: " + curl.output());
                continue;
            }
            MimeMessage arrived = awaitMessage(before, name);
            if (arrived == null) {
                failures.add(name + ": did not reach the upstream; queue: " + veil.admin("/queue?limit=3").body());
                continue;
            }
            byte[] received = bytes(arrived);
            byte[] sentBytes = original;
            original = Corpus.asQueued(original);
            if (original.length != sentBytes.length) {
                headersEnded++;
            }
            Path receivedFile = dir.resolve("received.eml");
            Files.write(receivedFile, received);
            if (userPem == null) {
                userPem = exportUserKey();
            }
            if (MessageText.isEncrypted(original)) {
                passedThrough++;
                checkPassedThroughUnchanged(name, original, received, failures);
                continue;
            }
            encrypted++;
            if (decryptedByVeil.size() < 3) {
                Path copy = dir.resolve("veil-decrypt-" + decryptedByVeil.size() + ".eml");
                Files.copy(receivedFile, copy);
                decryptedByVeil.put(copy, original);
            }
            checkEncryptedOuterHeader(name, arrived, failures);
            checkDecryptsToOriginal(name, receivedFile, original, escrow.resolve("escrow-key.pem"),
                    escrow.resolve("escrow-cert.pem"), "escrow key", failures);
            checkDecryptsToOriginal(name, receivedFile, original, userPem, null, "user key", failures);
            checkNothingLeaks(name, original, received, failures);
        }
        for (java.util.Map.Entry<Path, byte[]> e : decryptedByVeil.entrySet()) {
            Path out = e.getKey().resolveSibling(e.getKey().getFileName() + ".original");
            veil.command("decrypt", e.getKey().toString(), "--out", out.toString());
            if (!Arrays.equals(VeilReceived.stripped(Files.readAllBytes(out)), e.getValue())) {
                failures.add(e.getKey() + ": veil decrypt did not give back the original");
            }
        }
        System.out.printf("corpus: %d messages, %d encrypted by Veil, %d already encrypted and passed unchanged,"
                + " %d with a header line that is not a field (an empty line put before it)%n",
                messages.size(), encrypted, passedThrough, headersEnded);
        assertThat(headersEnded).as("the corpus's malformed headers").isPositive();
        assertThat(failures).as("corpus messages that failed").isEmpty();
        assertThat(encrypted).isGreaterThan(messages.size() - 10);
    }

    private MimeMessage awaitMessage(int before, String name) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            MimeMessage[] all = exchange.getReceivedMessages();
            if (all.length > before) {
                assertThat(all.length).as("one message for " + name).isEqualTo(before + 1);
                return all[before];
            }
            Thread.sleep(20);
        }
        return null;
    }

    private Path exportUserKey() {
        Path p12 = dir.resolve("reader.p12");
        Path password = dir.resolve("p12.password");
        Path pem = dir.resolve("reader.pem");
        try {
            Files.writeString(password, "correct horse battery staple\n");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        veil.command("keys", "export-user", RECIPIENT, "--out", p12.toString(), "--password-file", password.toString());
        Tools.run(null, "openssl", "pkcs12", "-in", p12.toString(), "-nodes", "-passin",
                "pass:correct horse battery staple", "-out", pem.toString()).orFail("openssl pkcs12 import");
        return pem;
    }

    private static void checkEncryptedOuterHeader(String name, MimeMessage arrived, List<String> failures)
            throws Exception {
        String[] subject = arrived.getHeader("Subject");
        if (subject == null || !subject[0].equals("[encrypted]")) {
            failures.add(name + ": outer Subject is " + Arrays.toString(subject));
        }
        // GreenMail adds one Return-Path and one Received of its own, Veil one Received without from and for;
        // everything else outside must be routing, display or MIME structure
        int received = 0;
        for (java.util.Enumeration<jakarta.mail.Header> e = arrived.getAllHeaders(); e.hasMoreElements(); ) {
            jakarta.mail.Header header = e.nextElement();
            String field = header.getName().toLowerCase(java.util.Locale.ROOT);
            if (field.equals("received") && received++ == 0) {
                continue;
            }
            if (field.equals("received") && header.getValue().strip().matches(
                    "(?s)by \\S+ \\(Veil\\) with E?SMTPS?A? id [0-9A-Z]{20}; [^;()]+")) {
                continue; // Veil's own trace field, without the client and the recipient (VeilTraceFields)
            }
            if (!OUTER_FIELDS.contains(field)) {
                failures.add(name + ": header field '" + field + "' outside the encryption");
            }
        }
        String type = arrived.getContentType().toLowerCase();
        if (!type.startsWith("application/pkcs7-mime")) {
            failures.add(name + ": outer Content-Type is " + type);
        }
    }

    private static void checkDecryptsToOriginal(String name, Path receivedFile, byte[] original, Path key, Path cert,
                                                String which, List<String> failures) throws Exception {
        Path out = receivedFile.resolveSibling("decrypted.eml");
        Files.deleteIfExists(out);
        Tools.Result r = Tools.opensslDecrypt(receivedFile, out, key, cert);
        if (r.exitCode() != 0) {
            failures.add(name + ": openssl cms -decrypt with the " + which + " failed: " + r.output());
            return;
        }
        byte[] decrypted = VeilReceived.strippedOrNull(Files.readAllBytes(out));
        if (decrypted == null) {
            failures.add(name + ": decrypted with the " + which + ", it does not start with Veil's Received field");
            return;
        }
        if (!Arrays.equals(decrypted, original)) {
            failures.add(name + ": decrypted with the " + which + " differs from the original (" + decrypted.length
                    + " vs " + original.length + " bytes, first difference at " + Arrays.mismatch(decrypted, original)
                    + ")");
        }
    }

    private static void checkNothingLeaks(String name, byte[] original, byte[] received, List<String> failures) {
        String receivedText = new String(received, StandardCharsets.ISO_8859_1);
        int headerEnd = receivedText.indexOf("\r\n\r\n");
        String receivedHeader = headerEnd < 0 ? receivedText : receivedText.substring(0, headerEnd);
        List<String> views = MessageText.observable(received);
        String subject = MessageText.subject(original);
        if (subject != null && subject.strip().length() >= 6) {
            for (String view : views) {
                if (view.contains(subject.strip())) {
                    failures.add(name + ": the subject is readable upstream");
                    break;
                }
            }
        }
        for (String secret : MessageText.secrets(original)) {
            // the outer header is checked field by field above; a body line that repeats a routing header value
            // (From, To, Date, Message-ID...) or a MIME line is no leak
            if (receivedHeader.contains(secret) || secret.regionMatches(true, 0, "content-", 0, 8)) {
                continue;
            }
            for (String view : views) {
                if (view.contains(secret)) {
                    failures.add(name + ": content readable upstream: '" + printable(secret) + "'");
                    return;
                }
            }
        }
    }

    private static void checkPassedThroughUnchanged(String name, byte[] original, byte[] received,
                                                    List<String> failures) {
        String o = new String(original, StandardCharsets.ISO_8859_1);
        String r = new String(received, StandardCharsets.ISO_8859_1);
        // GreenMail drops trailing empty lines and adds Return-Path and Received: compare the body without them
        String body = o.substring(o.indexOf("\r\n\r\n") + 4).stripTrailing();
        if (!r.contains(body) || !r.stripTrailing().endsWith(body)) {
            failures.add(name + ": already encrypted, but its body did not arrive unchanged");
        }
    }

    private static byte[] bytes(MimeMessage message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out);
        return out.toByteArray();
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
