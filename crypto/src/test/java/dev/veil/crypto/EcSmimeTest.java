package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.ContentCipher;
import dev.veil.config.KeySettings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * S/MIME with elliptic-curve keys: key stores made with {@code keys.smime.algorithm: ec-p256|ec-p384} (EC CA, escrow
 * and users, ECDH key agreement), imported EC certificates of external recipients, and messages that mix RSA and EC
 * recipients; each checked against openssl in both directions.
 */
class EcSmimeTest {
    static final String ALICE = "alice@example.com";
    static final String MESSAGE = String.join("\r\n",
            "From: Bob <bob@example.net>",
            "To: Alice <alice@example.com>",
            "Subject: Curves",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Elliptic, not elusive.",
            "");

    @TempDir
    Path work;

    @BeforeEach
    void openSsl() {
        OpenSsl.assumeInstalled();
    }

    @ParameterizedTest
    @CsvSource({
        "ec-p256, AES_256_GCM, prime256v1, dhSinglePass-stdDH-sha256kdf-scheme, ecdsa-with-SHA256",
        "ec-p256, AES_256_CBC, prime256v1, dhSinglePass-stdDH-sha256kdf-scheme, ecdsa-with-SHA256",
        "ec-p384, AES_256_GCM, secp384r1, dhSinglePass-stdDH-sha384kdf-scheme, ecdsa-with-SHA384",
    })
    void anEcKeyStoreSealsWhatOpenSslDecryptsWithTheEscrowAndTheUsersKey(String algorithm, ContentCipher cipher,
                                                                        String curve, String kdf, String signature)
            throws Exception {
        KeySettings settings = new KeySettings(true, algorithm, true);
        VeilKeys keys = VeilKeys.open(work.resolve("keys"), MasterKey.generate());
        keys.initialise("Curve Org", settings);
        byte[] sealed = seal(new SmimeSealer(keys, settings), ALICE, cipher);
        Files.write(work.resolve("out.eml"), sealed);
        keys.exportEscrow(work);
        keys.exportUserPkcs12(ALICE, "pw".toCharArray(), work.resolve("user.p12"));
        Files.write(work.resolve("user.pem"), OpenSsl.run(work, "pkcs12", "-in", "user.p12", "-nodes", "-passin", "pass:pw"));

        assertThat(OpenSsl.run(work, "cms", "-decrypt", "-in", "out.eml", "-inkey", "escrow-key.pem", "-recip", "escrow-cert.pem"))
                .asString(StandardCharsets.UTF_8).isEqualTo(MESSAGE);
        assertThat(OpenSsl.run(work, "cms", "-decrypt", "-in", "out.eml", "-inkey", "user.pem", "-recip", "user.pem"))
                .asString(StandardCharsets.UTF_8).isEqualTo(MESSAGE);
        String structure = new String(OpenSsl.run(work, "cms", "-cmsout", "-print", "-in", "out.eml"), StandardCharsets.UTF_8);
        assertThat(structure).contains(kdf).contains("id-aes256-wrap").doesNotContain("rsaesOaep")
                .contains(cipher == ContentCipher.AES_256_GCM ? "aes-256-gcm" : "aes-256-cbc");

        // The certificates are what RFC 5480 and RFC 8551 ask of EC encryption keys: signed by the EC CA with ECDSA,
        // on the configured curve, for key agreement and not keyEncipherment (which RFC 5480 does not allow for EC
        // keys). openssl's "smimeencrypt" purpose check wants keyEncipherment whatever the key, so it is not used here.
        Files.write(work.resolve("alice.pem"), pem(keys.userCertificate(ALICE, settings)));
        Files.write(work.resolve("ca.pem"), pem(keys.caCertificate()));
        assertThat(OpenSsl.run(work, "verify", "-purpose", "smimesign", "-CAfile", "ca.pem", "alice.pem"))
                .asString().contains("alice.pem: OK");
        String text = new String(OpenSsl.run(work, "x509", "-in", "alice.pem", "-noout", "-text"), StandardCharsets.UTF_8);
        assertThat(text).contains("Signature Algorithm: " + signature).contains(curve).contains("Key Agreement")
                .doesNotContain("Key Encipherment");

        ByteArrayOutputStream opened = new ByteArrayOutputStream();
        OpenReport report = new SmimeOpener(keys).open(new ByteArrayInputStream(sealed), opened);
        assertThat(opened.toString(StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        assertThat(report.contentAlgorithm()).isEqualTo(cipher == ContentCipher.AES_256_GCM ? "AES-256-GCM" : "AES-256-CBC");
    }

    @Test
    void opensWhatOpenSslEncryptedToAnEcUser() throws Exception {
        KeySettings settings = new KeySettings(false, "ec-p256", true);
        VeilKeys keys = VeilKeys.open(work.resolve("keys"), MasterKey.generate());
        keys.initialise("Curve Org", settings);
        X509Certificate alice = keys.userCertificate(ALICE, settings);
        Files.write(work.resolve("alice.pem"), pem(alice));
        Files.writeString(work.resolve("plain.eml"), MESSAGE);

        for (String cipher : List.of("-aes-256-gcm", "-aes-128-cbc")) {
            OpenSsl.run(work, "cms", "-encrypt", cipher, "-binary", "-in", "plain.eml", "-out", "sealed.eml", "-recip", "alice.pem");
            ByteArrayOutputStream opened = new ByteArrayOutputStream();
            OpenReport report = new SmimeOpener(keys).open(Files.newInputStream(work.resolve("sealed.eml")), opened);
            assertThat(opened.toString(StandardCharsets.UTF_8)).as(cipher).isEqualTo(MESSAGE);
            assertThat(report.keyFingerprint()).isEqualTo(Fingerprints.sha256(alice));
        }
    }

    @Test
    void sealsToAnImportedEcCertificateAndTheRsaEscrowInOneMessage() throws Exception {
        SharedKeyStore store = SharedKeyStore.get(); // RSA CA and escrow
        OpenSsl.run(work, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes",
                "-keyout", "carol.key", "-out", "carol.pem", "-days", "30", "-subj", "/CN=Carol",
                "-addext", "subjectAltName=email:carol@partner.example", "-addext", "keyUsage=critical,keyAgreement,digitalSignature",
                "-addext", "extendedKeyUsage=emailProtection");
        ExternalKeys external = ExternalKeys.open(work.resolve("external-keys"));
        assertThat(external.importFile(work.resolve("carol.pem"))).singleElement()
                .satisfies(k -> assertThat(k.stored()).as("%s", k.reason()).isTrue());
        assertThat(external.list()).singleElement().extracting(ExternalKey::algorithm).isEqualTo("EC 384-bit");
        SmimeSealer sealer = new SmimeSealer(store.keys, external, SharedKeyStore.NOT_ISSUING);

        Files.write(work.resolve("out.eml"), seal(sealer, "carol@partner.example", ContentCipher.AES_256_GCM));
        store.keys.exportEscrow(work);

        assertThat(OpenSsl.run(work, "cms", "-decrypt", "-in", "out.eml", "-inkey", "carol.key", "-recip", "carol.pem"))
                .asString(StandardCharsets.UTF_8).isEqualTo(MESSAGE);
        assertThat(OpenSsl.run(work, "cms", "-decrypt", "-in", "out.eml", "-inkey", "escrow-key.pem", "-recip", "escrow-cert.pem"))
                .asString(StandardCharsets.UTF_8).isEqualTo(MESSAGE);
        String structure = new String(OpenSsl.run(work, "cms", "-cmsout", "-print", "-in", "out.eml"), StandardCharsets.UTF_8);
        assertThat(structure).contains("rsaesOaep").contains("dhSinglePass-stdDH-sha384kdf-scheme");
    }

    @Test
    void refusesEcCertificatesThatCannotReceiveMail() throws Exception {
        OpenSsl.run(work, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "sign.key", "-out", "sign.pem", "-days", "30", "-subj", "/CN=Sign",
                "-addext", "subjectAltName=email:sign@partner.example", "-addext", "keyUsage=critical,keyEncipherment");
        OpenSsl.run(work, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime192v1", "-nodes",
                "-keyout", "small.key", "-out", "small.pem", "-days", "30", "-subj", "/CN=Small",
                "-addext", "subjectAltName=email:small@partner.example");
        OpenSsl.run(work, "req", "-x509", "-newkey", "ed25519", "-nodes",
                "-keyout", "ed.key", "-out", "ed.pem", "-days", "30", "-subj", "/CN=Ed",
                "-addext", "subjectAltName=email:ed@partner.example");
        ExternalKeys external = ExternalKeys.open(work.resolve("external-keys"));

        assertThat(refusal(external, "sign.pem")).contains("does not allow keyAgreement");
        assertThat(refusal(external, "small.pem")).contains("192-bit curve");
        assertThat(refusal(external, "ed.pem")).contains("key is EdDSA").contains("RSA keys").contains("EC keys");
        assertThat(external.list()).isEmpty();
    }

    @Test
    void refusesAnUnknownAlgorithmNamingTheChoices() {
        assertThatThrownBy(() -> KeyAlgorithm.parse("ec-p521"))
                .isInstanceOf(KeyException.class).hasMessageContaining("ec-p256 or ec-p384");
    }

    private String refusal(ExternalKeys external, String file) throws Exception {
        List<ImportedKey> results = external.importFile(work.resolve(file));
        assertThat(results).singleElement().satisfies(k -> assertThat(k.stored()).isFalse());
        return results.get(0).reason();
    }

    private byte[] seal(SmimeSealer sealer, String recipient, ContentCipher cipher) throws Exception {
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();
        sealer.seal(new ByteArrayInputStream(MESSAGE.getBytes(StandardCharsets.UTF_8)), sealed,
                new SealRequest(List.of(recipient), true, List.of(), cipher, "[encrypted]"));
        return sealed.toByteArray();
    }

    private static byte[] pem(X509Certificate certificate) throws Exception {
        return ("-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII);
    }
}
