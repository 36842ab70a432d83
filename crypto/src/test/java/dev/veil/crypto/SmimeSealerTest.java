package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.ContentCipher;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SmimeSealerTest {
    static final String ALICE = "alice@example.com";
    static final String MESSAGE = String.join("\r\n",
            "Received: from mx.example.net by veil",
            "From: Bob <bob@example.net>",
            "To: Alice <Alice@Example.com>,",
            " Carol <carol@example.com>",
            "Cc: dave@example.com",
            "Subject: Quarterly numbers (confidential)",
            "Date: Mon, 1 Jan 2024 10:00:00 +0000",
            "Message-ID: <1@example.net>",
            "X-Mailer: Secret Client 1.0",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Revenue is up.",
            "");

    static SharedKeyStore store;
    static SmimeSealer sealer;
    static SmimeOpener opener;

    @TempDir
    Path work;

    @BeforeAll
    static void keys() throws KeyException {
        store = SharedKeyStore.get();
        sealer = new SmimeSealer(store.keys, SharedKeyStore.ISSUING);
        opener = new SmimeOpener(store.keys);
    }

    @ParameterizedTest
    @EnumSource(ContentCipher.class)
    void opensWhatItSealedForTheRecipientAndEscrow(ContentCipher cipher) throws Exception {
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();

        SealReport report = sealer.seal(in(MESSAGE), sealed, request(cipher, ALICE));

        assertThat(report.keyFingerprints()).containsExactly(
                Fingerprints.sha256(store.keys.userCertificate(ALICE, SharedKeyStore.NOT_ISSUING)),
                Fingerprints.sha256(store.keys.escrowCertificate()));
        ByteArrayOutputStream opened = new ByteArrayOutputStream();
        OpenReport openReport = opener.open(new ByteArrayInputStream(sealed.toByteArray()), opened);
        assertThat(opened.toString(StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        assertThat(openReport.contentAlgorithm()).isEqualTo(cipher == ContentCipher.AES_256_GCM ? "AES-256-GCM" : "AES-256-CBC");
    }

    @Test
    void showsOnlyDeliveryFieldsAndThePlaceholderOutside() throws Exception {
        String outer = outerHeader(seal(MESSAGE, ContentCipher.AES_256_GCM));

        assertThat(outer).isEqualTo(String.join("\r\n",
                "From: Bob <bob@example.net>",
                "To: Alice <Alice@Example.com>,",
                " Carol <carol@example.com>",
                "Cc: dave@example.com",
                "Date: Mon, 1 Jan 2024 10:00:00 +0000",
                "Message-ID: <1@example.net>",
                "Subject: [encrypted]",
                "MIME-Version: 1.0",
                "Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name=\"smime.p7m\"",
                "Content-Disposition: attachment; filename=\"smime.p7m\"",
                "Content-Transfer-Encoding: base64",
                ""));
        assertThat(outer).doesNotContain("Quarterly").doesNotContain("X-Mailer").doesNotContain("Received");
    }

    /**
     * The fields that stop automatic replies show outside as their keywords (a black-box probe: without them Exchange's
     * out-of-office answered vacation replies and list mail, through Veil, to the real senders); comments, parameters
     * and values that are no keyword stay inside.
     */
    @Test
    void theFieldsThatStopAutomaticRepliesShowOutsideAsTheirKeywordsOnly() throws Exception {
        String message = "From: Carol <carol@partner.example>\r\nTo: alice@example.com\r\n"
                + "Auto-Submitted: Auto-Replied (vacation until Monday, call +49 30 1234); vacation=carol\r\n"
                + "X-Auto-Response-Suppress: oof, All, Bogus, OOF\r\nPrecedence: bulk (from mail.partner.example)\r\n"
                + "Auto-Submitted: no\r\nSubject: away\r\n\r\nI am away.\r\n";
        String outer = outerHeader(seal(message, ContentCipher.AES_256_GCM));
        assertThat(outer).startsWith("From: Carol <carol@partner.example>\r\nTo: alice@example.com\r\n"
                        + "Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: OOF, All\r\nPrecedence: bulk\r\n"
                        + "Subject: [encrypted]\r\n")
                .doesNotContain("vacation").doesNotContain("Bogus").doesNotContain("partner.example)");
        String odd = outerHeader(seal("From: x@partner.example\r\nPrecedence: first-class\r\n"
                + "Auto-Submitted: maybe\r\n\r\nbody\r\n", ContentCipher.AES_256_GCM));
        assertThat(odd).doesNotContain("Precedence").doesNotContain("Auto-Submitted");
    }

    /**
     * RFC 5322 4.5's obsolete white space before the colon is not copied outside (a black-box probe's outer header
     * began "From : ...", and Python's parser then saw no header and missed the encryption wrapper); inside, the
     * original stays as it was.
     */
    @Test
    void obsoleteSpaceBeforeAColonIsNotCopiedOutside() throws Exception {
        String obsolete = "From : Alice <alice@partner.example>\r\nTo\t :bob@example.com\r\nSubject : secret\r\n"
                + "Message-ID : <obs@partner.example>\r\n\r\nbody\r\n";
        byte[] sealed = seal(obsolete, ContentCipher.AES_256_GCM);
        assertThat(outerHeader(sealed)).startsWith("From: Alice <alice@partner.example>\r\nTo:bob@example.com\r\n"
                + "Message-ID: <obs@partner.example>\r\nSubject: [encrypted]\r\n").doesNotContain("secret");
    }

    @Test
    void showsReplacementValuesOutsideAndKeepsTheRealFieldsInside() throws Exception {
        String longReferences = String.join(" ", java.util.Collections.nCopies(6, "<m1-abcdefghijklmnopqrstuvwxyz234567@alias.example>"));
        SealRequest request = request(ContentCipher.AES_256_GCM, ALICE).withOuterValues(java.util.Map.of(
                "from", List.of("Correspondent 7QF2 <c-aaaa@alias.example>"),
                "to", List.of("Correspondent ABCD <c-bbbb@alias.example>, Carol <carol@example.com>"),
                "message-id", List.of("<m1-xyz@alias.example>"),
                "cc", List.of(),
                "references", List.of(longReferences)));
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();
        sealer.seal(in(MESSAGE.replace("Message-ID: <1@example.net>", "Message-ID: <1@example.net>\r\nReferences: <0@example.net>")),
                sealed, request);

        String outer = outerHeader(sealed.toByteArray());
        assertThat(outer).startsWith(String.join("\r\n",
                "From: Correspondent 7QF2 <c-aaaa@alias.example>",
                "To: Correspondent ABCD <c-bbbb@alias.example>, Carol <carol@example.com>",
                "Date: Mon, 1 Jan 2024 10:00:00 +0000",
                "Message-ID: <m1-xyz@alias.example>",
                "References: <m1-abcdefghijklmnopqrstuvwxyz234567@alias.example>"));
        assertThat(outer).doesNotContain("example.net").doesNotContain("dave");
        for (String line : outer.substring(0, outer.indexOf("Subject:")).split("\r\n")) {
            assertThat(line.length()).isLessThanOrEqualTo(78);
        }
        ByteArrayOutputStream opened = new ByteArrayOutputStream();
        opener.open(new ByteArrayInputStream(sealed.toByteArray()), opened);
        assertThat(opened.toString(StandardCharsets.UTF_8)).contains("From: Bob <bob@example.net>", "Cc: dave@example.com",
                "Message-ID: <1@example.net>", "References: <0@example.net>");
    }

    @Test
    void refusesReplacementValuesThatCouldInjectFields() {
        assertThatThrownBy(() -> request(ContentCipher.AES_256_GCM, ALICE).withOuterValues(
                java.util.Map.of("from", List.of("a@b.example\r\nBcc: x@y.example"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("printable ASCII");
        assertThatThrownBy(() -> request(ContentCipher.AES_256_GCM, ALICE).withOuterValues(
                java.util.Map.of("x-mailer", List.of("Partner Mail"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("never shown outside");
        // the gateway's own trace fields may be given (and only so shown); they are checked like the others
        assertThatThrownBy(() -> request(ContentCipher.AES_256_GCM, ALICE).withOuterValues(
                java.util.Map.of("received", List.of("by veil.test (Veil); now\r\nBcc: x@y.example"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("printable ASCII");
    }

    @Test
    void writesBase64InLinesOf76() throws Exception {
        String sealed = new String(seal(MESSAGE.repeat(50), ContentCipher.AES_256_CBC), StandardCharsets.US_ASCII);
        String body = sealed.substring(sealed.indexOf("\r\n\r\n") + 4);

        assertThat(outerHeader(sealed.getBytes(StandardCharsets.US_ASCII))).contains("smime-type=enveloped-data");
        assertThat(body).endsWith("\r\n").doesNotContain("\n\n");
        List<String> lines = List.of(body.split("\r\n"));
        assertThat(lines.subList(0, lines.size() - 1)).allSatisfy(line -> assertThat(line).hasSize(76));
        assertThat(body.replace("\r\n", "")).matches("[A-Za-z0-9+/=]+");
    }

    @Test
    void keepsMalformedMessagesExactlyApartFromLineEnds() throws Exception {
        byte[] malformed = concat(
                "\uFEFFFrom: x@example.net\nTo: alice@example.com\nSubject: no blank line follows\n".getBytes(StandardCharsets.UTF_8),
                "this line ends the header\rbare CR\n\n".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, (byte) 0x80, '\n'},
                "--boundary-never-closed\nContent-Type: text/plain\n\nGrüße".getBytes(StandardCharsets.UTF_8));

        byte[] sealed = seal(malformed, ContentCipher.AES_256_GCM);
        ByteArrayOutputStream opened = new ByteArrayOutputStream();
        opener.open(new ByteArrayInputStream(sealed), opened);

        assertThat(opened.toByteArray()).isEqualTo(crlf(malformed));
        assertThat(outerHeader(sealed)).startsWith("From: x@example.net\r\nTo: alice@example.com\r\nSubject: [encrypted]\r\n");
    }

    @ParameterizedTest
    @EnumSource(ContentCipher.class)
    void openSslDecryptsWithTheExportedEscrowKey(ContentCipher cipher) throws Exception {
        OpenSsl.assumeInstalled();
        byte[] original = concat(MESSAGE.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xe4, (byte) 0xf6, '\r', 'x', '\n'});
        Files.write(work.resolve("out.eml"), seal(original, cipher));
        store.keys.exportEscrow(work);

        byte[] decrypted = OpenSsl.run(work, "cms", "-decrypt", "-in", "out.eml",
                "-inkey", "escrow-key.pem", "-recip", "escrow-cert.pem");

        assertThat(decrypted).isEqualTo(crlf(original));
        String structure = new String(OpenSsl.run(work, "cms", "-cmsout", "-print", "-in", "out.eml"), StandardCharsets.UTF_8);
        assertThat(structure).contains("algorithm: rsaesOaep").contains(":sha256").contains(":mgf1")
                .contains(cipher == ContentCipher.AES_256_GCM ? "aes-256-gcm" : "aes-256-cbc");
    }

    @ParameterizedTest
    @EnumSource(ContentCipher.class)
    void openSslDecryptsWithTheUsersPkcs12(ContentCipher cipher) throws Exception {
        OpenSsl.assumeInstalled();
        Files.write(work.resolve("out.eml"), seal(MESSAGE, cipher));
        store.keys.exportUserPkcs12(ALICE, "pw".toCharArray(), work.resolve("user.p12"));
        Files.write(work.resolve("user.pem"), OpenSsl.run(work, "pkcs12", "-in", "user.p12", "-nodes", "-passin", "pass:pw"));

        byte[] decrypted = OpenSsl.run(work, "cms", "-decrypt", "-in", "out.eml", "-inkey", "user.pem", "-recip", "user.pem");

        assertThat(new String(decrypted, StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
    }

    @Test
    void opensWhatOpenSslEncryptedToAUser() throws Exception {
        OpenSsl.assumeInstalled();
        Files.writeString(work.resolve("plain.eml"), MESSAGE);
        Files.write(work.resolve("alice.pem"), pem(store.keys.userCertificate(ALICE, SharedKeyStore.NOT_ISSUING)));
        OpenSsl.run(work, "cms", "-encrypt", "-aes-256-gcm", "-binary", "-in", "plain.eml", "-out", "sealed.eml",
                "-recip", "alice.pem", "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256");

        ByteArrayOutputStream opened = new ByteArrayOutputStream();
        OpenReport report = opener.open(Files.newInputStream(work.resolve("sealed.eml")), opened);

        assertThat(opened.toString(StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        assertThat(report.keyFingerprint()).isEqualTo(Fingerprints.sha256(store.keys.userCertificate(ALICE, SharedKeyStore.NOT_ISSUING)));
    }

    @Test
    void refusesAnAlteredMessage() throws Exception {
        byte[] sealed = seal(MESSAGE.repeat(20), ContentCipher.AES_256_GCM);
        String text = new String(sealed, StandardCharsets.US_ASCII);
        int bodyStart = text.indexOf("\r\n\r\n") + 4;
        // Flip a character late in the base64: inside the encrypted content, not the recipient infos.
        int target = bodyStart + (sealed.length - bodyStart) * 3 / 4;
        while (sealed[target] == '\r' || sealed[target] == '\n') {
            target++;
        }
        sealed[target] = (byte) (sealed[target] == 'A' ? 'B' : 'A');

        assertThatThrownBy(() -> opener.open(new ByteArrayInputStream(sealed), OutputStream.nullOutputStream()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("altered or damaged");
    }

    @Test
    void namesTheRecipientsWhenNoKeyFits() throws Exception {
        OpenSsl.assumeInstalled();
        OpenSsl.run(work, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "stranger-key.pem",
                "-out", "stranger.pem", "-subj", "/CN=stranger", "-days", "1");
        Files.writeString(work.resolve("plain.eml"), MESSAGE);
        OpenSsl.run(work, "cms", "-encrypt", "-aes-256-cbc", "-in", "plain.eml", "-out", "sealed.eml", "stranger.pem");

        assertThatThrownBy(() -> opener.open(Files.newInputStream(work.resolve("sealed.eml")), OutputStream.nullOutputStream()))
                .isInstanceOf(KeyMissingException.class)
                .hasMessageContaining("issuer \"CN=stranger\" serial");
    }

    @Test
    void writesNothingWhenAKeyIsMissing() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SmimeSealer strict = new SmimeSealer(store.keys, SharedKeyStore.NOT_ISSUING);

        assertThatThrownBy(() -> strict.seal(in(MESSAGE), out, request(ContentCipher.AES_256_GCM, "unknown@example.com")))
                .isInstanceOf(KeyMissingException.class).hasMessageContaining("unknown@example.com");
        assertThatThrownBy(() -> sealer.seal(in(MESSAGE), out,
                new SealRequest(List.of(), true, List.of("legal-hold"), ContentCipher.AES_256_GCM, "x")))
                .isInstanceOf(KeyMissingException.class).hasMessageContaining("legal-hold");
        assertThat(out.size()).isZero();
    }

    @Test
    void sealsALargeMessageInBoundedMemory() throws Exception {
        long size = 30L * 1024 * 1024;
        InputStream large = GeneratedLines.of(size);
        CountingOutputStream sealed = new CountingOutputStream();

        sealer.seal(large, sealed, request(ContentCipher.AES_256_GCM, ALICE));

        // CRLF adds 1 % and base64 a third; nothing was buffered whole.
        assertThat(sealed.count).isGreaterThan(size * 4 / 3);
    }

    private static SealRequest request(ContentCipher cipher, String... recipients) {
        return new SealRequest(List.of(recipients), true, List.of(), cipher, "[encrypted]");
    }

    private static byte[] seal(String message, ContentCipher cipher) throws Exception {
        return seal(message.getBytes(StandardCharsets.UTF_8), cipher);
    }

    private static byte[] seal(byte[] message, ContentCipher cipher) throws Exception {
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();
        sealer.seal(new ByteArrayInputStream(message), sealed, request(cipher, ALICE));
        return sealed.toByteArray();
    }

    private static String outerHeader(byte[] sealed) {
        String text = new String(sealed, StandardCharsets.UTF_8);
        return text.substring(0, text.indexOf("\r\n\r\n") + 2);
    }

    private static InputStream in(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] crlf(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (CrlfOutputStream canonical = new CrlfOutputStream(out, true)) {
            canonical.write(bytes);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] pem(java.security.cert.X509Certificate certificate) throws Exception {
        return ("-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static final class CountingOutputStream extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
