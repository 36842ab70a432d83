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
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgpMimeSealerTest {
    static final String ALICE = "alice.pgp@example.com";
    static final String MESSAGE = String.join("\r\n",
            "Received: from mx.example.net by veil",
            "From: Bob <bob@example.net>",
            "To: Alice <Alice.PGP@Example.com>,",
            " Carol <carol@example.com>",
            "Cc: dave@example.com",
            "Subject: Quarterly numbers (confidential)",
            "Date: Mon, 1 Jan 2024 10:00:00 +0000",
            "Message-ID: <1@example.net>",
            "In-Reply-To: <0@example.net>",
            "X-Mailer: Secret Client 1.0",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Revenue is up.",
            "");

    static SharedOpenPgpKeys store;
    static PgpMimeSealer sealer;
    static PgpMimeOpener opener;
    static Path gpgRoot;
    static Gpg gpg;

    @TempDir
    Path work;

    @BeforeAll
    static void keys() throws Exception {
        store = SharedOpenPgpKeys.get();
        sealer = new PgpMimeSealer(store.keys, SharedOpenPgpKeys.ISSUING);
        opener = new PgpMimeOpener(store.keys);
        store.keys.userKey(ALICE, SharedOpenPgpKeys.ISSUING);
        gpgRoot = Files.createTempDirectory("veil-gpg");
        gpg = new Gpg(gpgRoot.resolve("home"));
        char[] passphrase = Gpg.PASSPHRASE.toCharArray();
        store.keys.exportEscrowSecret(passphrase, gpgRoot.resolve("escrow-secret.asc"));
        store.keys.exportSecret(ALICE, passphrase, gpgRoot.resolve("alice-secret.asc"));
        gpg.run(gpgRoot, "--import", "escrow-secret.asc");
        gpg.run(gpgRoot, "--import", "alice-secret.asc");
    }

    @AfterAll
    static void stopGpg() {
        gpg.close();
        SharedKeyStore.deleteTree(gpgRoot);
    }

    @Test
    void opensWhatItSealedForTheRecipientAndEscrow() throws Exception {
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();

        SealReport report = sealer.seal(in(MESSAGE), sealed, request(ALICE));

        assertThat(report.keyFingerprints()).containsExactly(
                subkeyFingerprint(store.keys.userKey(ALICE, SharedOpenPgpKeys.NOT_ISSUING)),
                subkeyFingerprint(store.keys.escrowKey()));
        assertThat(report.keyFingerprints()).allSatisfy(fingerprint -> assertThat(fingerprint).matches("[0-9a-f]{40}"));
        ByteArrayOutputStream opened = new ByteArrayOutputStream();
        OpenReport openReport = opener.open(new ByteArrayInputStream(sealed.toByteArray()), opened);
        assertThat(opened.toString(StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        assertThat(openReport.contentAlgorithm()).isEqualTo("AES-256");
        assertThat(report.keyFingerprints()).contains(openReport.keyFingerprint());
    }

    @Test
    void writesRfc3156WithOnlyDeliveryFieldsAndThePlaceholderOutside() throws Exception {
        byte[] sealed = seal(MESSAGE);
        String text = new String(sealed, StandardCharsets.US_ASCII);
        String outer = text.substring(0, text.indexOf("\r\n\r\n") + 2);
        Matcher boundary = Pattern.compile("boundary=\"([^\"]+)\"").matcher(outer);
        assertThat(boundary.find()).isTrue();
        String b = boundary.group(1);

        assertThat(outer).isEqualTo(String.join("\r\n",
                "From: Bob <bob@example.net>",
                "To: Alice <Alice.PGP@Example.com>,",
                " Carol <carol@example.com>",
                "Cc: dave@example.com",
                "Date: Mon, 1 Jan 2024 10:00:00 +0000",
                "Message-ID: <1@example.net>",
                "In-Reply-To: <0@example.net>",
                "Subject: [encrypted]",
                "MIME-Version: 1.0",
                "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";",
                " boundary=\"" + b + "\"",
                ""));
        assertThat(outer).doesNotContain("Quarterly").doesNotContain("X-Mailer").doesNotContain("Received");
        assertThat(text.substring(outer.length())).startsWith(String.join("\r\n",
                "",
                "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)",
                "--" + b,
                "Content-Type: application/pgp-encrypted",
                "Content-Description: PGP/MIME version identification",
                "",
                "Version: 1",
                "",
                "--" + b,
                "Content-Type: application/octet-stream; name=\"encrypted.asc\"",
                "Content-Description: OpenPGP encrypted message",
                "Content-Disposition: inline; filename=\"encrypted.asc\"",
                "",
                "-----BEGIN PGP MESSAGE-----",
                "",
                ""))
                .endsWith("-----END PGP MESSAGE-----\r\n\r\n--" + b + "--\r\n");
        assertThat(text).doesNotContain("Revenue").doesNotContainPattern("(?<!\r)\n");
        List<String> armorLines = List.of(armored(sealed).split("\r\n"));
        assertThat(armorLines.subList(2, armorLines.size() - 3)).allSatisfy(line -> assertThat(line).hasSize(64));
        assertThat(armorLines.get(armorLines.size() - 2)).matches("=[A-Za-z0-9+/]{4}");
    }

    @Test
    void gpgDecryptsWithTheExportedEscrowKeyAndTheUsersKey() throws Exception {
        byte[] original = concat(MESSAGE.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xe4, (byte) 0xf6, '\r', 'x'});
        Files.writeString(work.resolve("part2.asc"), armored(seal(original)), StandardCharsets.US_ASCII);

        byte[] decrypted = gpg.run(work, "--decrypt", "part2.asc");

        assertThat(decrypted).isEqualTo(crlf(original));
        String packets = new String(gpg.run(work, "--list-packets", "part2.asc"), StandardCharsets.UTF_8);
        assertThat(packets).contains(":encrypted data packet:").contains("mdc_method: 2")
                .contains("keyid " + keyId(store.keys.escrowKey())).contains("keyid " + keyId(store.keys.userKey(ALICE, SharedOpenPgpKeys.NOT_ISSUING)))
                .doesNotContain("aead");
        Gpg.Result details = gpg.attempt(work, "--status-fd", "2", "--decrypt", "part2.asc");
        assertThat(details.stderr()).contains("DECRYPTION_INFO 2 9").contains("DECRYPTION_OKAY").contains("GOODMDC");
    }

    @Test
    void gpgDecryptsForAnRsa3072Recipient() throws Exception {
        String rsaUser = "rsa.pgp@example.com";
        store.keys.userKey(rsaUser, SharedOpenPgpKeys.settings("rsa-3072", true));
        store.keys.exportSecret(rsaUser, Gpg.PASSPHRASE.toCharArray(), work.resolve("rsa-secret.asc"));
        try (Gpg own = new Gpg(work.resolve("rsa-home"))) {
            own.run(work, "--import", "rsa-secret.asc");
            ByteArrayOutputStream sealed = new ByteArrayOutputStream();
            sealer.seal(in(MESSAGE), sealed, new SealRequest(List.of(rsaUser), false, List.of(), ContentCipher.AES_256_GCM, null));
            Files.writeString(work.resolve("part2.asc"), armored(sealed.toByteArray()), StandardCharsets.US_ASCII);

            assertThat(new String(own.run(work, "--decrypt", "part2.asc"), StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        }
    }

    @Test
    void opensWhatGpgEncryptedToAUserWrappedInRfc3156() throws Exception {
        Files.writeString(work.resolve("plain.eml"), MESSAGE);
        gpg.run(work, "--trust-model", "always", "--armor", "--output", "encrypted.asc", "--encrypt", "-r", ALICE, "plain.eml");
        String wrapped = String.join("\r\n",
                "From: bob@example.net",
                "To: " + ALICE,
                "Subject: ...",
                "MIME-Version: 1.0",
                "Content-Type: multipart/encrypted; boundary=\"XYZ\";",
                "  protocol=\"application/pgp-encrypted\"",
                "",
                "preamble",
                "--XYZ",
                "Content-Type: application/pgp-encrypted",
                "",
                "Version: 1",
                "--XYZ",
                "Content-Type: application/octet-stream",
                "",
                Files.readString(work.resolve("encrypted.asc")).replace("\n", "\r\n").strip(),
                "--XYZ--",
                "");

        ByteArrayOutputStream opened = new ByteArrayOutputStream();
        OpenReport report = opener.open(in(wrapped), opened);

        assertThat(opened.toString(StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        assertThat(report.keyFingerprint()).isEqualTo(subkeyFingerprint(store.keys.userKey(ALICE, SharedOpenPgpKeys.NOT_ISSUING)));
        // veil keys list shows primary keys only: the report names the one it can be found by
        assertThat(report.listedFingerprint())
                .isEqualTo(OpenPgpKeys.fingerprint(store.keys.userKey(ALICE, SharedOpenPgpKeys.NOT_ISSUING).getPublicKey()))
                .isNotEqualTo(report.keyFingerprint());
    }

    @Test
    void namesTheKeyIdsWhenNoKeyFits() throws Exception {
        try (Gpg other = new Gpg(work.resolve("stranger-home"))) {
            Files.writeString(work.resolve("plain.eml"), MESSAGE);
            other.run(work, "--passphrase", "", "--quick-gen-key", "stranger@example.org", "future-default", "default", "never");
            other.run(work, "--trust-model", "always", "--armor", "--output", "encrypted.asc", "--encrypt", "-r",
                    "stranger@example.org", "plain.eml");
            String listed = new String(other.run(work, "--with-colons", "--list-keys", "stranger@example.org"), StandardCharsets.UTF_8);
            String subkeyId = listed.lines().filter(line -> line.startsWith("sub:")).findFirst().orElseThrow().split(":")[4];

            assertThatThrownBy(() -> opener.openMessage(Files.newInputStream(work.resolve("encrypted.asc")), OutputStream.nullOutputStream()))
                    .isInstanceOf(KeyMissingException.class)
                    .hasMessageContaining(subkeyId.toLowerCase());
        }
    }

    @Test
    void keepsMalformedMessagesExactlyApartFromLineEnds() throws Exception {
        byte[] malformed = concat(
                "\uFEFFFrom: x@example.net\nTo: alice.pgp@example.com\nSubject: no blank line follows\n".getBytes(StandardCharsets.UTF_8),
                "this line ends the header\rbare CR\n\n".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, (byte) 0x80, '\n'},
                "--boundary-never-closed\nContent-Type: text/plain\n\nGrüße".getBytes(StandardCharsets.UTF_8));

        byte[] sealed = seal(malformed);
        ByteArrayOutputStream opened = new ByteArrayOutputStream();
        opener.open(new ByteArrayInputStream(sealed), opened);

        assertThat(opened.toByteArray()).isEqualTo(crlf(malformed));
        assertThat(new String(sealed, StandardCharsets.UTF_8))
                .startsWith("From: x@example.net\r\nTo: alice.pgp@example.com\r\nSubject: [encrypted]\r\n")
                .doesNotContain("no blank line follows");
        Files.writeString(work.resolve("part2.asc"), armored(sealed), StandardCharsets.US_ASCII);
        assertThat(gpg.run(work, "--decrypt", "part2.asc")).isEqualTo(crlf(malformed));
    }

    @Test
    void refusesAnAlteredMessage() throws Exception {
        byte[] sealed = seal(MESSAGE.repeat(20));
        String text = new String(sealed, StandardCharsets.US_ASCII);
        int start = text.indexOf("-----BEGIN PGP MESSAGE-----");
        int end = text.indexOf("\r\n=", start);
        // Flip a character late in the base64: inside the encrypted content, not the session key packets.
        int target = start + (end - start) * 3 / 4;
        while (sealed[target] == '\r' || sealed[target] == '\n') {
            target++;
        }
        sealed[target] = (byte) (sealed[target] == 'A' ? 'B' : 'A');
        // Fix up the armor checksum so that the damage reaches the integrity check.
        byte[] altered = fixChecksum(sealed);

        assertThatThrownBy(() -> opener.open(new ByteArrayInputStream(altered), OutputStream.nullOutputStream()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("altered or damaged");
    }

    @Test
    void writesNothingWhenAKeyIsMissing() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PgpMimeSealer strict = new PgpMimeSealer(store.keys, SharedOpenPgpKeys.NOT_ISSUING);

        assertThatThrownBy(() -> strict.seal(in(MESSAGE), out, request("unknown.pgp@example.com")))
                .isInstanceOf(KeyMissingException.class).hasMessageContaining("unknown.pgp@example.com");
        assertThatThrownBy(() -> sealer.seal(in(MESSAGE), out,
                new SealRequest(List.of(), true, List.of("legal-hold"), ContentCipher.AES_256_GCM, "x")))
                .isInstanceOf(KeyMissingException.class).hasMessageContaining("legal-hold");
        assertThat(out.size()).isZero();
        assertThat(store.keys.hasUserKey("unknown.pgp@example.com")).isFalse();
    }

    @Test
    void sealsAndOpensA30MegabyteMessageStreaming() throws Exception {
        long size = 30L * 1024 * 1024;
        long bestSeal = Long.MAX_VALUE;
        long bestOpen = Long.MAX_VALUE;
        Path sealedFile = work.resolve("large.eml");
        for (int round = 0; round < 3; round++) {
            long started = System.nanoTime();
            try (OutputStream out = Files.newOutputStream(sealedFile)) {
                sealer.seal(GeneratedLines.of(size), out, request(ALICE));
            }
            bestSeal = Math.min(bestSeal, System.nanoTime() - started);
            started = System.nanoTime();
            CountingOutputStream opened = new CountingOutputStream();
            try (InputStream in = Files.newInputStream(sealedFile)) {
                opener.open(in, opened);
            }
            bestOpen = Math.min(bestOpen, System.nanoTime() - started);
            assertThat(opened.count).isEqualTo(size + size / 100 + 2); // every 100th byte was LF, now CRLF; final CRLF added
        }
        // CRLF adds 1 % and base64 a third; nothing was buffered whole.
        assertThat(Files.size(sealedFile)).isGreaterThan(size * 4 / 3);
        System.out.printf("PGP/MIME 30 MiB: seal %.0f MB/s, open %.0f MB/s (best of 3)%n",
                size / 1e6 / (bestSeal / 1e9), size / 1e6 / (bestOpen / 1e9));
        String head = new String(Files.readAllBytes(sealedFile), 0, 4096, StandardCharsets.US_ASCII);
        assertThat(head).contains("-----BEGIN PGP MESSAGE-----");
    }

    @Test
    void gpgDecryptsEveryCorpusMessageToTheCrlfOriginal() throws Exception {
        Path corpus = Path.of("").toAbsolutePath().getParent().getParent().resolve("shared/corpus/mail");
        assertThat(corpus).as("the shared mail corpus").isDirectory();
        List<Path> messages;
        try (Stream<Path> files = Files.list(corpus)) {
            messages = files.filter(Files::isRegularFile).filter(file -> file.getFileName().toString().endsWith(".eml"))
                    .sorted().toList();
        }
        assertThat(messages).hasSizeGreaterThan(50);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            ByteArrayOutputStream sealed = new ByteArrayOutputStream();
            sealer.seal(Files.newInputStream(messages.get(i)), sealed, request(ALICE));
            String name = "m" + i + ".asc";
            Files.writeString(work.resolve(name), armored(sealed.toByteArray()), StandardCharsets.US_ASCII);
            names.add(name);
            ByteArrayOutputStream opened = new ByteArrayOutputStream();
            opener.open(new ByteArrayInputStream(sealed.toByteArray()), opened);
            assertThat(opened.toByteArray()).as("Veil's opener on %s", messages.get(i).getFileName())
                    .isEqualTo(crlf(Files.readAllBytes(messages.get(i))));
        }
        List<String> command = new ArrayList<>(List.of("--decrypt-files"));
        command.addAll(names);
        gpg.run(work, command.toArray(String[]::new));

        for (int i = 0; i < messages.size(); i++) {
            assertThat(Files.readAllBytes(work.resolve("m" + i))).as("gpg's decryption of %s", messages.get(i).getFileName())
                    .isEqualTo(crlf(Files.readAllBytes(messages.get(i))));
        }
    }

    /** CRLF-normalised: every LF, CR or CRLF becomes CRLF, and a final CRLF is added if missing. */
    static byte[] crlf(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (CrlfOutputStream canonical = new CrlfOutputStream(out, true)) {
            canonical.write(bytes);
        }
        byte[] result = out.toByteArray();
        if (result.length > 0 && result[result.length - 1] != '\n') {
            out.write('\r');
            out.write('\n');
            result = out.toByteArray();
        }
        return result;
    }

    /** Part 2's body: the armored OpenPGP message. */
    static String armored(byte[] sealed) {
        String text = new String(sealed, StandardCharsets.US_ASCII);
        int start = text.indexOf("-----BEGIN PGP MESSAGE-----");
        String end = "-----END PGP MESSAGE-----\r\n";
        return text.substring(start, text.indexOf(end, start) + end.length());
    }

    private static String subkeyFingerprint(org.bouncycastle.openpgp.PGPPublicKeyRing ring) throws KeyException {
        return OpenPgpKeys.fingerprint(OpenPgpKeyMaterial.encryptionKey(ring, "test"));
    }

    private static String keyId(org.bouncycastle.openpgp.PGPPublicKeyRing ring) throws KeyException {
        return String.format("%016X", OpenPgpKeyMaterial.encryptionKey(ring, "test").getKeyID());
    }

    private static byte[] fixChecksum(byte[] sealed) throws IOException {
        String text = new String(sealed, StandardCharsets.US_ASCII);
        int start = text.indexOf("-----BEGIN PGP MESSAGE-----\r\n\r\n") + "-----BEGIN PGP MESSAGE-----\r\n\r\n".length();
        int checksum = text.indexOf("\r\n=", start) + 2;
        byte[] binary = java.util.Base64.getMimeDecoder().decode(text.substring(start, checksum));
        ArmorOutputStream.Crc24 crc = new ArmorOutputStream.Crc24();
        crc.update(binary, 0, binary.length);
        int value = crc.value();
        String line = "=" + java.util.Base64.getEncoder().encodeToString(new byte[] {(byte) (value >> 16), (byte) (value >> 8), (byte) value});
        return (text.substring(0, checksum) + line + text.substring(checksum + 5)).getBytes(StandardCharsets.US_ASCII);
    }


    private static SealRequest request(String... recipients) {
        return new SealRequest(List.of(recipients), true, List.of(), ContentCipher.AES_256_GCM, "[encrypted]");
    }

    private static byte[] seal(String message) throws Exception {
        return seal(message.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] seal(byte[] message) throws Exception {
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();
        sealer.seal(new ByteArrayInputStream(message), sealed, request(ALICE));
        return sealed.toByteArray();
    }

    private static InputStream in(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static final class CountingOutputStream extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            count += length;
        }
    }
}
