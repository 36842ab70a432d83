package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.Action;
import dev.veil.config.ContentCipher;
import dev.veil.config.KeySettings;
import dev.veil.config.NamedKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys the policy names under {@code keys.named} (an archive): a rule's message is encrypted to them as well, read from
 * the file the policy names under the data directory, and the archive's own private key opens it in openssl or gpg. A
 * named key that cannot be used stops the message (nothing written), never lets it go without that key.
 */
class NamedKeySealingTest {
    private static final String MESSAGE = String.join("\r\n",
            "From: Bob <bob@example.net>",
            "To: Alice <alice@example.com>",
            "Subject: For the archive too",
            "Date: Mon, 1 Jan 2024 10:00:00 +0000",
            "Message-ID: <named@example.net>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Kept for seven years.",
            "");
    private static final NamedKey ARCHIVE = new NamedKey("archive", Action.Format.SMIME, "keys/archive.pem");
    private static final NamedKey PGP_ARCHIVE = new NamedKey("archive", Action.Format.OPENPGP, "keys/archive.asc");

    @TempDir
    Path data;

    @Test
    void smimeMailIsEncryptedToTheNamedCertificateAndOpenSslOpensItWithItsKey() throws Exception {
        OpenSsl.assumeInstalled();
        Files.createDirectories(data.resolve("keys"));
        OpenSsl.run(data, "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", "archive-key.pem",
                "-out", "keys/archive.pem", "-days", "30", "-subj", "/CN=Archive",
                "-addext", "keyUsage=keyEncipherment");
        SharedKeyStore store = SharedKeyStore.get();
        SmimeSealer sealer = new SmimeSealer(store.keys, null, new NamedKeyFiles(data), smime(ARCHIVE));

        ByteArrayOutputStream sealed = new ByteArrayOutputStream();
        SealReport report = sealer.seal(in(), sealed, new SealRequest(List.of("alice@example.com"), true,
                List.of("archive"), ContentCipher.AES_256_GCM, "[encrypted]"));

        Files.write(data.resolve("sealed.eml"), sealed.toByteArray());
        byte[] opened = OpenSsl.run(data, "cms", "-decrypt", "-in", "sealed.eml", "-inkey", "archive-key.pem",
                "-recip", "keys/archive.pem");
        assertThat(new String(opened, StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        assertThat(report.keyFingerprints()).hasSize(3)
                .contains(Fingerprints.sha256(new NamedKeyFiles(data).certificate(ARCHIVE)));
    }

    @Test
    void openPgpMailIsEncryptedToTheNamedPublicKeyAndGpgOpensItWithItsKey() throws Exception {
        Path home = Files.createTempDirectory("veil-gpg-named");
        try (Gpg gpg = new Gpg(home.resolve("home"))) {
            gpg.run(home, "--quick-gen-key", "Archive <archive@example.com>", "future-default", "default", "never");
            Files.createDirectories(data.resolve("keys"));
            Files.write(data.resolve("keys/archive.asc"), gpg.run(home, "--armor", "--export", "archive@example.com"));
            SharedOpenPgpKeys store = SharedOpenPgpKeys.get();
            PgpMimeSealer sealer = new PgpMimeSealer(store.keys, null, null, new NamedKeyFiles(data), openpgp(PGP_ARCHIVE));

            ByteArrayOutputStream sealed = new ByteArrayOutputStream();
            SealReport report = sealer.seal(in(), sealed, new SealRequest(List.of(), true, List.of("archive"),
                    ContentCipher.AES_256_GCM, "[encrypted]"));

            String outside = sealed.toString(StandardCharsets.US_ASCII);
            String armored = outside.substring(outside.indexOf("-----BEGIN PGP MESSAGE-----"),
                    outside.indexOf("-----END PGP MESSAGE-----")) + "-----END PGP MESSAGE-----\r\n";
            Files.writeString(home.resolve("part.asc"), armored, StandardCharsets.US_ASCII);
            byte[] opened = gpg.run(home, "--decrypt", "part.asc");
            assertThat(new String(opened, StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
            assertThat(report.keyFingerprints()).hasSize(2);
        } finally {
            SharedKeyStore.deleteTree(home);
        }
    }

    @Test
    void aMissingFileStopsTheMessageAndNamesThePath() throws Exception {
        SmimeSealer sealer = new SmimeSealer(SharedKeyStore.get().keys, null, new NamedKeyFiles(data), smime(ARCHIVE));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> sealer.seal(in(), out, archiveRequest()))
                .isInstanceOf(KeyMissingException.class)
                .hasMessage("named key 'archive' (keys/archive.pem): " + data.resolve("keys/archive.pem").toAbsolutePath()
                        + " does not exist");
        assertThat(out.size()).isZero();
    }

    @Test
    void anExpiredCertificateIsRefused() throws Exception {
        writeCertificate(Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1)));
        SmimeSealer sealer = new SmimeSealer(SharedKeyStore.get().keys, null, new NamedKeyFiles(data), smime(ARCHIVE));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> sealer.seal(in(), out, archiveRequest()))
                .isInstanceOf(KeyException.class)
                .hasMessageStartingWith("named key 'archive' (keys/archive.pem): the certificate expired on");
        assertThat(out.size()).isZero();
    }

    @Test
    void aSigningOnlyCertificateAnOpenPgpKeyAndAPrivateKeyAreRefused() throws Exception {
        OpenSsl.assumeInstalled();
        Files.createDirectories(data.resolve("keys"));
        OpenSsl.run(data, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "keys/archive-key.pem",
                "-out", "keys/archive.pem", "-days", "30", "-subj", "/CN=Archive", "-addext", "keyUsage=digitalSignature");
        NamedKeyFiles files = new NamedKeyFiles(data);

        assertThat(files.problem(ARCHIVE)).hasValueSatisfying(p -> assertThat(p).startsWith(
                "named key 'archive' (keys/archive.pem): the certificate's key usage allows neither keyEncipherment"));
        assertThat(files.problem(new NamedKey("archive", Action.Format.OPENPGP, "keys/archive.pem"))).hasValue(
                "named key 'archive' (keys/archive.pem) holds an X.509 certificate, not an OpenPGP key — a certificate"
                        + " needs 'format: smime' and 'certificate:'");
        assertThat(files.problem(new NamedKey("archive", Action.Format.SMIME, "keys/archive-key.pem"))).hasValue(
                "named key 'archive' (keys/archive-key.pem) holds a private key — give Veil only the certificate,"
                        + " and keep the private key elsewhere");
    }

    @Test
    void aNameThePolicyDoesNotDefineOrOfTheOtherFormatIsRefused() throws Exception {
        SmimeSealer undefined = new SmimeSealer(SharedKeyStore.get().keys, null, new NamedKeyFiles(data), smime());
        SmimeSealer otherFormat = new SmimeSealer(SharedKeyStore.get().keys, null, new NamedKeyFiles(data),
                smime(PGP_ARCHIVE));

        assertThatThrownBy(() -> undefined.seal(in(), new ByteArrayOutputStream(), archiveRequest()))
                .isInstanceOf(KeyMissingException.class)
                .hasMessage("named key 'archive' is not defined under keys.named in the policy in force");
        assertThatThrownBy(() -> otherFormat.seal(in(), new ByteArrayOutputStream(), archiveRequest()))
                .isInstanceOf(KeyException.class)
                .hasMessage("named key 'archive' is openpgp but the message is encrypted with smime");
    }

    private void writeCertificate(Instant notBefore, Instant notAfter) throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair pair = rsa.generateKeyPair();
        X500Name name = new X500Name("CN=Archive");
        byte[] der = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, Date.from(notBefore), Date.from(notAfter),
                name, pair.getPublic()).build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate()))
                .getEncoded();
        Files.createDirectories(data.resolve("keys"));
        Files.write(data.resolve("keys/archive.pem"), Pem.encode("CERTIFICATE", der));
    }

    private static SealRequest archiveRequest() {
        return new SealRequest(List.of(), true, List.of("archive"), ContentCipher.AES_256_GCM, "[encrypted]");
    }

    private static KeySettings smime(NamedKey... named) {
        return settings(Action.Format.SMIME, named);
    }

    private static KeySettings openpgp(NamedKey... named) {
        return settings(Action.Format.OPENPGP, named);
    }

    private static KeySettings settings(Action.Format format, NamedKey... named) {
        Map<String, NamedKey> byName = new java.util.LinkedHashMap<>();
        for (NamedKey k : named) {
            byName.put(k.name(), k);
        }
        return new KeySettings(true, "rsa-3072", true, List.of(format), "ed25519", "Example CA",
                KeySettings.DEFAULT_CA_VALIDITY, KeySettings.DEFAULT_ROTATION, Optional.empty(), byName);
    }

    private static ByteArrayInputStream in() {
        return new ByteArrayInputStream(MESSAGE.getBytes(StandardCharsets.UTF_8));
    }
}
