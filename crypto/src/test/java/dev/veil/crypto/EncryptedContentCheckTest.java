package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.ContentCipher;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSAuthEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.operator.OutputAEADEncryptor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class EncryptedContentCheckTest {
    static final String PLAIN = String.join("\r\n",
            "From: Bob <bob@example.net>",
            "To: Alice <alice@example.com>",
            "Subject: Quarterly numbers",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Revenue is up. This is confidential.",
            "");
    static final String PGP_HEADER = String.join("\r\n",
            "From: Bob <bob@example.net>",
            "To: Alice <alice@example.com>",
            "Subject: ...",
            "MIME-Version: 1.0",
            "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";",
            " boundary=\"b1\"",
            "",
            "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)",
            "");

    static Path gnupgHome;
    static String gpgEncrypted;

    // ------------------------------------------------------------------ corpus

    @ParameterizedTest
    @ValueSource(strings = {"smime-enveloped-data.eml", "smime-thunderbird-enveloped.eml",
            "pgpmime-encrypted-with-received-headers.eml", "pgpmime-openpgpjs-encrypted.eml",
            "pgpmime-thunderbird-encrypted-signed.eml"})
    void acceptsRealEncryptedMessages(String name) throws IOException {
        Path file = corpus().resolve(name);

        EncryptedContentCheck.Verdict verdict = EncryptedContentCheck.check(file);

        assertThat(verdict.encrypted()).as(verdict.reason()).isTrue();
        assertThat(MessageFormats.isVerifiablyEncrypted(file)).isTrue();
        // as on the wire: every line end CRLF
        assertThat(check(crlf(Files.readAllBytes(file))).encrypted()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"smime-opaque-signed-data-sha256.eml", "smime-detached-signature-sha256.eml",
            "pgpmime-thunderbird-signed.eml", "pgpmime-mixed-up-protonmail.eml",
            "smime-enveloped-inside-pgpmime-signed.eml", "plain-simple-attachment.eml"})
    void refusesRealMessagesThatAreNotEncrypted(String name) throws IOException {
        Path file = corpus().resolve(name);

        assertThat(MessageFormats.isVerifiablyEncrypted(file)).isFalse();
        assertThat(check(crlf(Files.readAllBytes(file))).encrypted()).isFalse();
    }

    @Test
    void refusesMangledProtonMailBecauseItIsNotRfc3156() throws IOException {
        // multipart/mixed with a text part and a "PGP PAYLOAD WAS HERE" placeholder instead of the ciphertext
        assertThat(EncryptedContentCheck.check(corpus().resolve("pgpmime-mixed-up-protonmail.eml")).reason())
                .contains("multipart/mixed");
    }

    @Test
    void refusesOpaqueSignedDataForWhatItIs() throws IOException {
        assertThat(EncryptedContentCheck.check(corpus().resolve("smime-opaque-signed-data-sha256.eml")).reason())
                .contains("smime-type");
        byte[] relabelled = Files.readString(corpus().resolve("smime-opaque-signed-data-sha256.eml"))
                .replace("smime-type=signed-data", "smime-type=enveloped-data").getBytes(StandardCharsets.US_ASCII);
        assertThat(check(relabelled).reason()).contains("1.2.840.113549.1.7.2");
    }

    // ------------------------------------------------------------------ S/MIME

    @ParameterizedTest
    @EnumSource(ContentCipher.class)
    void acceptsWhatVeilSealed(ContentCipher cipher) throws Exception {
        EncryptedContentCheck.Verdict verdict = check(seal(PLAIN, cipher));

        assertThat(verdict.encrypted()).as(verdict.reason()).isTrue();
        assertThat(verdict.reason()).contains(cipher == ContentCipher.AES_256_GCM ? "authEnvelopedData" : "envelopedData")
                .contains("2 recipient(s)");
    }

    @Test
    void acceptsBinaryTransferEncodingAndLongBase64Lines() throws Exception {
        byte[] der = sealedDer(seal(PLAIN, ContentCipher.AES_256_GCM));
        byte[] binary = concat(ascii("Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data\r\n"
                + "Content-Transfer-Encoding: binary\r\n\r\n"), der, ascii("\r\n"));
        String oneLine = "Content-Type: application/x-pkcs7-mime; name=smime.p7m\r\n"
                + "Content-Transfer-Encoding: BASE64\r\n\r\n" + Base64.getEncoder().encodeToString(der) + "\n \n";

        assertThat(check(binary).encrypted()).isTrue();
        assertThat(check(ascii(oneLine)).encrypted()).isTrue();
    }

    @Test
    void acceptsDerEncodedEnvelopedAndAuthEnvelopedData() throws Exception {
        java.security.cert.X509Certificate alice = SharedKeyStore.get().keys.userCertificate("alice@example.com",
                SharedKeyStore.ISSUING);
        CMSEnvelopedDataGenerator enveloped = new CMSEnvelopedDataGenerator();
        enveloped.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(alice));
        byte[] envelopedDer = enveloped.generate(new CMSProcessableByteArray(ascii(PLAIN)),
                new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES128_CBC).build()).toASN1Structure().getEncoded(ASN1Encoding.DER);
        CMSAuthEnvelopedDataGenerator authEnveloped = new CMSAuthEnvelopedDataGenerator();
        authEnveloped.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(alice));
        byte[] authEnvelopedDer = authEnveloped.generate(new CMSProcessableByteArray(ascii(PLAIN)),
                (OutputAEADEncryptor) new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES128_GCM).build())
                .toASN1Structure().getEncoded(ASN1Encoding.DER);

        assertThat(envelopedDer[1] & 0xff).as("definite length").isNotEqualTo(0x80);
        assertThat(check(smime(Base64.getMimeEncoder().encode(envelopedDer))).reason()).startsWith("S/MIME envelopedData");
        assertThat(check(smime(Base64.getMimeEncoder().encode(authEnvelopedDer))).reason()).startsWith("S/MIME authEnvelopedData");
        byte[] truncated = java.util.Arrays.copyOf(envelopedDer, envelopedDer.length - 1);
        assertThat(check(smime(Base64.getMimeEncoder().encode(truncated))).encrypted()).isFalse();
        byte[] trailing = concat(envelopedDer, new byte[] {0, 0});
        assertThat(check(smime(Base64.getMimeEncoder().encode(trailing))).encrypted()).isFalse();
    }

    @Test
    void refusesPlaintextLabelledAsEnvelopedData() {
        String lie = "From: bob@example.net\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\nRevenue is up. This is confidential.\r\n";
        String noEncoding = lie.replace("Content-Transfer-Encoding: base64\r\n", "");

        assertThat(check(ascii(lie)).reason()).contains("not base64");
        assertThat(check(ascii(noEncoding)).reason()).contains("7bit");
    }

    @Test
    void refusesBase64OfRandomBytesOrOfPlaintext() {
        byte[] random = new byte[4096];
        new SecureRandom().nextBytes(random);
        random[0] = 0x30; // even starting like a SEQUENCE does not help

        assertThat(check(smime(Base64.getMimeEncoder().encode(random))).encrypted()).isFalse();
        assertThat(check(smime(Base64.getMimeEncoder().encode(ascii(PLAIN)))).encrypted()).isFalse();
    }

    @Test
    void refusesCmsSignedDataEvenWhenLabelledEnveloped() throws Exception {
        byte[] signedData = new CMSSignedDataGenerator().generate(new CMSProcessableByteArray(ascii(PLAIN)), true).getEncoded();

        EncryptedContentCheck.Verdict verdict = check(smime(Base64.getMimeEncoder().encode(signedData)));

        assertThat(verdict.encrypted()).isFalse();
        assertThat(verdict.reason()).contains("1.2.840.113549.1.7.2");
    }

    @Test
    void refusesASealedMessageWithPlaintextAppendedOrTruncated() throws Exception {
        byte[] sealed = seal(PLAIN.repeat(200), ContentCipher.AES_256_CBC);
        String text = new String(sealed, StandardCharsets.US_ASCII);

        // which of the two the reader meets first depends on whether the sealed base64 ends in padding
        assertThat(check(concat(sealed, ascii("\r\n*** Revenue is up ***\r\n"))).reason())
                .containsAnyOf("not base64", "data after the end of the base64");
        assertThat(check(concat(sealed, ascii("\r\nRevenue\r\n"))).encrypted()).isFalse();
        // bytes after the CMS structure inside the base64 itself (re-encoded, so padding cannot come first)
        byte[] der = Base64.getMimeDecoder().decode(text.substring(text.indexOf("\r\n\r\n") + 4));
        assertThat(check(smime(Base64.getMimeEncoder().encode(concat(der, ascii("ABC"))))).reason())
                .contains("data follows the CMS structure");
        assertThat(check(Base64Tail.appendPadded(sealed)).encrypted()).isFalse();
        for (int cut : new int[] {10, 100, text.length() / 2, text.length() - 40}) {
            byte[] truncated = ascii(text.substring(0, text.length() - cut));
            assertThat(check(truncated).encrypted()).as("cut %d", cut).isFalse();
        }
    }

    @Test
    void refusesSignedDataSmimeTypeAndConflictingHeaders() throws Exception {
        String sealed = new String(seal(PLAIN, ContentCipher.AES_256_GCM), StandardCharsets.US_ASCII);

        assertThat(check(ascii(sealed.replace("smime-type=authEnveloped-data", "smime-type=signed-data"))).encrypted()).isFalse();
        assertThat(check(ascii("Content-Type: text/plain\r\n" + sealed)).encrypted()).isFalse();
        assertThat(check(ascii("Content-Transfer-Encoding: 7bit\r\n" + sealed)).encrypted()).isFalse();
        assertThat(check(ascii(sealed.replace("application/pkcs7-mime", "application/octet-stream"))).encrypted()).isFalse();
    }

    @Test
    void checksALargeMessageWithoutHoldingIt() throws Exception {
        Path file = Files.createTempFile("veil-large", ".eml");
        try {
            byte[] chunk = ascii(PLAIN.repeat(1000));
            try (var out = Files.newOutputStream(file)) {
                SmimeSealer sealer = new SmimeSealer(SharedKeyStore.get().keys, SharedKeyStore.ISSUING);
                InputStream large = repeat(chunk, 35 * 1024 * 1024 / chunk.length + 1);
                sealer.seal(large, out, request(ContentCipher.AES_256_GCM));
            }
            assertThat(Files.size(file)).isGreaterThan(35L * 1024 * 1024);

            assertThat(MessageFormats.isVerifiablyEncrypted(file)).isTrue();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aFailingStreamIsAnErrorNotAVerdict() throws Exception {
        byte[] sealed = seal(PLAIN.repeat(100), ContentCipher.AES_256_GCM);
        InputStream failing = new InputStream() {
            private int position;

            @Override
            public int read() throws IOException {
                if (position > sealed.length / 2) {
                    throw new IOException("disk gone");
                }
                return sealed[position++] & 0xff;
            }
        };

        assertThatThrownBy(() -> MessageFormats.isVerifiablyEncrypted(failing)).isInstanceOf(IOException.class)
                .hasMessage("disk gone");
    }

    // ------------------------------------------------------------------ PGP/MIME

    @Test
    void acceptsGpgEncryptedMessageInRfc3156Mime() throws Exception {
        EncryptedContentCheck.Verdict verdict = check(pgpMime(gpgEncrypted));

        assertThat(verdict.encrypted()).as(verdict.reason()).isTrue();
        assertThat(verdict.reason()).contains("1 session key packet(s)");
        assertThat(check(ascii(new String(pgpMime(gpgEncrypted), StandardCharsets.US_ASCII).replace("\r\n", "\n"))).encrypted()).isTrue();
    }

    @Test
    void acceptsGpgSymmetricEncryption() throws Exception {
        String symmetric = gpg(ascii("Revenue is up."), "--passphrase", "secret", "--pinentry-mode", "loopback",
                "--symmetric", "--armor");

        EncryptedContentCheck.Verdict verdict = check(pgpMime(symmetric));

        assertThat(verdict.encrypted()).as(verdict.reason()).isTrue();
    }

    @Test
    void refusesGpgSignedButNotEncrypted() throws Exception {
        String signed = gpg(ascii("Revenue is up."), "--pinentry-mode", "loopback", "--passphrase", "", "--sign", "--armor");

        EncryptedContentCheck.Verdict verdict = check(pgpMime(signed));

        assertThat(verdict.encrypted()).isFalse();
        assertThat(verdict.reason()).contains("PKESK or SKESK");
    }

    @Test
    void refusesMultipartEncryptedWithPlaintextSecondPart() {
        String message = PGP_HEADER + String.join("\r\n",
                "--b1",
                "Content-Type: application/pgp-encrypted",
                "",
                "Version: 1",
                "--b1",
                "Content-Type: text/plain",
                "",
                "Revenue is up. This is confidential.",
                "--b1--",
                "");
        String asOctetStream = message.replace("Content-Type: text/plain", "Content-Type: application/octet-stream");

        assertThat(check(ascii(message)).reason()).contains("not application/octet-stream");
        assertThat(check(ascii(asOctetStream)).reason()).contains("text before the PGP armor");
    }

    @Test
    void refusesExtraPartsAndTextAroundTheArmor() throws Exception {
        String good = new String(pgpMime(gpgEncrypted), StandardCharsets.US_ASCII);
        String thirdPart = good.replace("--b1--", "--b1\r\nContent-Type: text/plain\r\n\r\nRevenue is up.\r\n--b1--");
        String textAfterArmor = good.replace("-----END PGP MESSAGE-----", "-----END PGP MESSAGE-----\r\nRevenue is up.");
        String textBeforeArmor = good.replace("-----BEGIN PGP MESSAGE-----", "Revenue is up.\r\n-----BEGIN PGP MESSAGE-----");
        String secondArmor = good.replace("-----END PGP MESSAGE-----\r\n", "-----END PGP MESSAGE-----\r\n" + gpgEncrypted);
        String swapped = PGP_HEADER + "--b1\r\nContent-Type: application/octet-stream\r\n\r\n" + gpgEncrypted
                + "\r\n--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b1--\r\n";
        String controlWithText = good.replace("\r\nVersion: 1\r\n", "\r\nVersion: 1\r\nRevenue is up.\r\n");

        assertThat(check(ascii(thirdPart)).reason()).contains("more than two parts");
        assertThat(check(ascii(textAfterArmor)).reason()).contains("text after the PGP armor");
        assertThat(check(ascii(textBeforeArmor)).reason()).contains("text before the PGP armor");
        assertThat(check(ascii(secondArmor)).encrypted()).isFalse();
        assertThat(check(ascii(swapped)).encrypted()).isFalse();
        assertThat(check(ascii(controlWithText)).reason()).contains("more than control information");
    }

    @Test
    void refusesBoundaryTricks() throws Exception {
        String good = new String(pgpMime(gpgEncrypted), StandardCharsets.US_ASCII);
        String prefixClash = good.replace("--b1--", "--b1x\r\nContent-Type: text/plain\r\n\r\nRevenue is up.\r\n--b1--");
        String epiloguePart = good + "--b1\r\nContent-Type: text/plain\r\n\r\nRevenue is up.\r\n";
        String noClose = good.replace("--b1--\r\n", "");
        String longEpilogue = good + "Revenue is up.\r\n".repeat(2000);

        assertThat(check(ascii(prefixClash)).reason()).contains("clashes with the multipart boundary");
        assertThat(check(ascii(epiloguePart)).reason()).contains("epilogue");
        assertThat(check(ascii(noClose)).reason()).contains("without a close delimiter");
        assertThat(check(ascii(longEpilogue)).reason()).contains("epilogue");
        assertThat(check(ascii(good + "\r\n\r\n")).encrypted()).isTrue();
    }

    @Test
    void refusesDamagedOrTruncatedArmor() throws Exception {
        String good = new String(pgpMime(gpgEncrypted), StandardCharsets.US_ASCII);
        List<String> lines = List.of(gpgEncrypted.split("\r?\n"));
        String lastDataLine = lines.get(lines.size() - 3);
        String withoutEnd = good.replace("-----END PGP MESSAGE-----\r\n", "");
        String cut = good.replace(lastDataLine + "\r\n", "");
        String flipped = good.replace(lastDataLine, lastDataLine.charAt(0) == 'A' ? "B" + lastDataLine.substring(1)
                : "A" + lastDataLine.substring(1));

        assertThat(check(ascii(withoutEnd)).reason()).contains("truncated");
        assertThat(check(ascii(cut)).encrypted()).isFalse();
        assertThat(check(ascii(flipped)).encrypted()).isFalse();
    }

    @Test
    void refusesArmoredPlaintextPackets() throws Exception {
        // a literal data packet (tag 11), armored properly: readable by anyone
        String literal = gpg(ascii("Revenue is up."), "--store", "--armor");

        assertThat(check(pgpMime(literal)).reason()).contains("PKESK or SKESK");
    }

    // ------------------------------------------------------------------ helpers

    @BeforeAll
    static void gpgKey() throws Exception {
        gnupgHome = Files.createTempDirectory("veil-gpg");
        Files.setPosixFilePermissions(gnupgHome, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        gpg(new byte[0], "--passphrase", "", "--quick-gen-key", "test@example.com", "default", "default", "never");
        gpgEncrypted = gpg(ascii("Revenue is up. This is confidential.\r\n"), "--trust-model", "always", "--armor",
                "--encrypt", "--recipient", "test@example.com");
    }

    @AfterAll
    static void stopAgent() throws Exception {
        if (gnupgHome != null) {
            try {
                ProcessBuilder kill = new ProcessBuilder("gpgconf", "--kill", "gpg-agent").redirectErrorStream(true);
                kill.environment().put("GNUPGHOME", gnupgHome.toString());
                kill.start().waitFor(10, TimeUnit.SECONDS);
            } catch (IOException ignored) {
                // best effort
            }
            SharedKeyStore.deleteTree(gnupgHome);
        }
    }

    /** Runs gpg in batch mode on the throwaway home; fails (does not skip) if gpg is missing. */
    static String gpg(byte[] input, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("gpg", "--batch", "--no-tty", "--quiet"));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("GNUPGHOME", gnupgHome.toString());
        Path stderr = gnupgHome.resolve("stderr.txt");
        builder.redirectError(stderr.toFile());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new AssertionError("gpg is needed for the PGP/MIME tests but cannot be run: " + e.getMessage(), e);
        }
        try (var stdin = process.getOutputStream()) {
            stdin.write(input);
        }
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        process.getInputStream().transferTo(stdout);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("gpg %s failed: %s", command, Files.readString(stderr)).isZero();
        return stdout.toString(StandardCharsets.US_ASCII);
    }

    /** RFC 3156 PGP/MIME around an armored message, with CRLF line ends. */
    static byte[] pgpMime(String armored) {
        String crlfArmor = armored.replace("\r\n", "\n").replace("\n", "\r\n");
        return ascii(PGP_HEADER + String.join("\r\n",
                "--b1",
                "Content-Type: application/pgp-encrypted",
                "Content-Description: PGP/MIME version identification",
                "",
                "Version: 1",
                "",
                "--b1",
                "Content-Type: application/octet-stream; name=\"encrypted.asc\"",
                "Content-Disposition: inline; filename=\"encrypted.asc\"",
                "",
                crlfArmor + "--b1--",
                ""));
    }

    static Path corpus() {
        Path corpus = Path.of("").toAbsolutePath().getParent().getParent().resolve("shared/corpus");
        assertThat(corpus.resolve("mail")).as("the shared corpus is missing").isDirectory();
        return corpus.resolve("mail");
    }

    static EncryptedContentCheck.Verdict check(byte[] message) {
        try {
            return EncryptedContentCheck.check(new ByteArrayInputStream(message));
        } catch (IOException e) {
            throw new AssertionError("reading from memory failed", e);
        }
    }

    static byte[] smime(byte[] base64) {
        return concat(ascii("From: bob@example.net\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; "
                + "name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n"), base64, ascii("\r\n"));
    }

    static byte[] seal(String message, ContentCipher cipher) throws Exception {
        SmimeSealer sealer = new SmimeSealer(SharedKeyStore.get().keys, SharedKeyStore.ISSUING);
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();
        sealer.seal(new ByteArrayInputStream(ascii(message)), sealed, request(cipher));
        return sealed.toByteArray();
    }

    static SealRequest request(ContentCipher cipher) {
        return new SealRequest(List.of("alice@example.com"), true, List.of(), cipher, "[encrypted]");
    }

    static byte[] sealedDer(byte[] sealed) {
        String text = new String(sealed, StandardCharsets.US_ASCII);
        return Base64.getMimeDecoder().decode(text.substring(text.indexOf("\r\n\r\n") + 4));
    }

    static InputStream repeat(byte[] chunk, int times) {
        return new InputStream() {
            private long position;
            private final long total = (long) chunk.length * times;

            @Override
            public int read() {
                return position < total ? chunk[(int) (position++ % chunk.length)] & 0xff : -1;
            }

            @Override
            public int read(byte[] target, int offset, int length) {
                if (position >= total) {
                    return -1;
                }
                int start = (int) (position % chunk.length);
                int n = (int) Math.min(Math.min(length, chunk.length - start), total - position);
                System.arraycopy(chunk, start, target, offset, n);
                position += n;
                return n;
            }
        };
    }

    static byte[] crlf(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1).replace("\r\n", "\n").replace("\n", "\r\n");
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** A sealed message with a second, complete base64 object after the first. */
    private static final class Base64Tail {
        static byte[] appendPadded(byte[] sealed) {
            return concat(sealed, Base64.getMimeEncoder().encode(ascii("Revenue is up.")), ascii("\r\n"));
        }
    }
}
