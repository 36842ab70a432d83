package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.crypto.ExternalKey.Format;
import dev.veil.crypto.ImportedKey.Status;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The external key store, with keys made by the independent tools partners use: openssl certificates (PEM, DER,
 * PKCS#7) and GnuPG keys (armored, binary); and the sealers encrypting to them, checked by openssl and gpg.
 */
class ExternalKeysTest {
    static final String BOB = "bob@partner.example";
    static final String CAROL = "carol@partner.example";

    /** One gpg home with Bob's key (RSA-3072, gpg 2.2's default) and Carol's (ed25519/cv25519, gpg 2.4's default). */
    static Path gpgRoot;
    static Gpg gpg;

    @TempDir
    Path work;
    ExternalKeys external;

    @BeforeAll
    static void gpgKey() throws Exception {
        gpgRoot = Files.createTempDirectory("veil-external-gpg");
        gpg = new Gpg(gpgRoot.resolve("home"));
        gpg.run(gpgRoot, "--quick-gen-key", "Bob Partner <" + BOB + ">", "default", "default", "never");
        gpg.run(gpgRoot, "--quick-gen-key", "Carol Partner <" + CAROL + ">", "future-default", "default", "never");
    }

    @AfterAll
    static void stopGpg() {
        gpg.close();
        SharedKeyStore.deleteTree(gpgRoot);
    }

    @BeforeEach
    void store() throws Exception {
        OpenSsl.assumeInstalled();
        external = ExternalKeys.open(work.resolve("keys"));
    }

    @Test
    void importsAPemCertificateByItsSubjectAltNameOnceAndFindsIt() throws Exception {
        X509Certificate bob = openSslCertificate("bob", "/CN=Bob Partner", "subjectAltName=email:Bob@Partner.example");

        List<ImportedKey> first = external.importFile(work.resolve("bob.pem"));
        List<ImportedKey> again = external.importFile(work.resolve("bob.pem"));

        String fingerprint = Fingerprints.sha256(bob);
        assertThat(first).singleElement().satisfies(k -> {
            assertThat(k.status()).isEqualTo(Status.IMPORTED);
            assertThat(k.format()).isEqualTo(Format.SMIME);
            assertThat(k.addresses()).containsExactly(BOB);
            assertThat(k.fingerprint()).isEqualTo(fingerprint);
            assertThat(k.notAfter()).isEqualTo(bob.getNotAfter().toInstant());
        });
        assertThat(again).singleElement().extracting(ImportedKey::status).isEqualTo(Status.ALREADY_PRESENT);
        assertThat(external.smimeCertificate("BOB@partner.example")).contains(bob);
        assertThat(external.openPgpKey(BOB)).isEmpty();
        assertThat(external.find(BOB, Format.SMIME)).singleElement().extracting(ExternalKey::fingerprint).isEqualTo(fingerprint);
        Path file = work.resolve("keys/external/smime/" + BOB + "-" + fingerprint + ".pem");
        assertThat(file).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r--r--");
        assertThat(OpenSsl.run(work, "x509", "-in", file.toString(), "-noout", "-fingerprint", "-sha256"))
                .asString().containsIgnoringCase(fingerprint.replaceAll("(..)(?!$)", "$1:"));
    }

    @Test
    void importsDerCertificatesPkcs7BundlesAndSeveralPemCertificates() throws Exception {
        X509Certificate bob = openSslCertificate("bob", "/CN=Bob", "subjectAltName=email:" + BOB);
        // No SAN: the address is taken from the subject's emailAddress.
        X509Certificate carol = openSslCertificate("carol", "/CN=Carol/emailAddress=" + CAROL, null);
        OpenSsl.run(work, "x509", "-in", "bob.pem", "-outform", "DER", "-out", "bob.der");
        OpenSsl.run(work, "crl2pkcs7", "-nocrl", "-certfile", "bob.pem", "-certfile", "carol.pem", "-out", "both.p7b");
        OpenSsl.run(work, "crl2pkcs7", "-nocrl", "-certfile", "bob.pem", "-certfile", "carol.pem", "-outform", "DER",
                "-out", "both.p7c");
        Files.writeString(work.resolve("both.pem"), Files.readString(work.resolve("bob.pem")) + "some text between\n"
                + Files.readString(work.resolve("carol.pem")));

        assertThat(external.importFile(work.resolve("bob.der"))).singleElement()
                .satisfies(k -> assertThat(k.status()).isEqualTo(Status.IMPORTED));
        for (String bundle : List.of("both.p7b", "both.p7c", "both.pem")) {
            List<ImportedKey> imported = external.importFile(work.resolve(bundle));
            assertThat(imported).as(bundle).extracting(ImportedKey::fingerprint)
                    .containsExactlyInAnyOrder(Fingerprints.sha256(bob), Fingerprints.sha256(carol));
            assertThat(imported).as(bundle).allSatisfy(k -> assertThat(k.stored()).isTrue());
        }
        assertThat(external.smimeCertificate(CAROL)).contains(carol);
        assertThat(external.list()).extracting(ExternalKey::addresses).containsExactly(List.of(BOB), List.of(CAROL));
    }

    @Test
    void refusesCertificatesThatCannotReceiveMail() throws Exception {
        openSslCertificate("noaddress", "/CN=No Address", null);
        openSslCertificate("signing", "/CN=Signing", "subjectAltName=email:sign@partner.example",
                "keyUsage=critical,digitalSignature");
        openSslCertificate("server", "/CN=Server", "subjectAltName=email:server@partner.example",
                "extendedKeyUsage=serverAuth");
        writePem("expired.pem", javaCertificate("expired@partner.example", Instant.now().minus(Duration.ofDays(10)),
                Instant.now().minus(Duration.ofDays(1))));

        assertThat(refusal("noaddress.pem")).contains("no email address");
        assertThat(refusal("signing.pem")).contains("neither keyEncipherment nor keyAgreement");
        assertThat(refusal("server.pem")).contains("emailProtection");
        assertThat(refusal("expired.pem")).contains("expired on");
        assertThat(external.list()).isEmpty();
    }

    @Test
    void importsWhatItCanFromABundleAndReportsTheRest() throws Exception {
        openSslCertificate("bob", "/CN=Bob", "subjectAltName=email:" + BOB);
        openSslCertificate("noaddress", "/CN=Issuing CA", null);
        OpenSsl.run(work, "crl2pkcs7", "-nocrl", "-certfile", "bob.pem", "-certfile", "noaddress.pem", "-out", "chain.p7b");

        List<ImportedKey> results = external.importFile(work.resolve("chain.p7b"));

        assertThat(results).extracting(ImportedKey::status).containsExactlyInAnyOrder(Status.IMPORTED, Status.REFUSED);
        assertThat(results).filteredOn(k -> !k.stored()).singleElement().satisfies(k ->
                assertThat(k.reason()).contains("no email address").contains("CA certificate"));
    }

    @Test
    void refusesFilesWithPrivateKeysOrNothingImportable() throws Exception {
        openSslCertificate("bob", "/CN=Bob", "subjectAltName=email:" + BOB);
        Files.writeString(work.resolve("key-and-cert.pem"),
                Files.readString(work.resolve("bob.key")) + Files.readString(work.resolve("bob.pem")));
        OpenSsl.run(work, "pkcs12", "-export", "-in", "bob.pem", "-inkey", "bob.key", "-out", "bob.p12", "-passout", "pass:x");
        OpenSsl.run(work, "req", "-new", "-key", "bob.key", "-subj", "/CN=Bob", "-out", "bob.csr");
        Files.writeString(work.resolve("junk.txt"), "hello\n");
        gpg.run(work, "--armor", "--output", "secret.asc", "--export-secret-keys", BOB);
        gpg.run(work, "--output", "secret.gpg", "--export-secret-keys", BOB);

        for (String file : List.of("key-and-cert.pem", "secret.asc", "secret.gpg")) {
            assertThatThrownBy(() -> external.importFile(work.resolve(file))).as(file)
                    .isInstanceOf(KeyException.class)
                    .hasMessage("this file contains a private key; import only public keys");
        }
        // PKCS#12, also one with certificates only: its contents are encrypted, so the refusal says how to get them
        OpenSsl.run(work, "pkcs12", "-export", "-nokeys", "-in", "bob.pem", "-out", "certs.p12", "-passout", "pass:x");
        for (String file : List.of("bob.p12", "certs.p12")) {
            assertThatThrownBy(() -> external.importFile(work.resolve(file))).as(file)
                    .isInstanceOf(KeyException.class).hasMessageContaining("PKCS#12")
                    .hasMessageContaining("openssl pkcs12 -in FILE -nokeys");
        }
        assertThatThrownBy(() -> external.importFile(work.resolve("bob.csr")))
                .hasMessageContaining("nothing to import").hasMessageContaining("certificate request");
        assertThatThrownBy(() -> external.importFile(work.resolve("junk.txt"))).hasMessageContaining("nothing to import");
        assertThatThrownBy(() -> external.importFile(work.resolve("missing.pem"))).hasMessageContaining("no such file");
        assertThat(external.list()).isEmpty();
    }

    @Test
    void importsGpgKeysArmoredAndBinary() throws Exception {
        gpg.run(work, "--armor", "--output", "bob.asc", "--export", BOB);
        gpg.run(work, "--output", "bob.gpg", "--export", BOB);

        List<ImportedKey> armored = external.importFile(work.resolve("bob.asc"));
        List<ImportedKey> binary = external.importFile(work.resolve("bob.gpg"));

        assertThat(armored).singleElement().satisfies(k -> {
            assertThat(k.status()).isEqualTo(Status.IMPORTED);
            assertThat(k.format()).isEqualTo(Format.OPENPGP);
            assertThat(k.addresses()).containsExactly(BOB);
            assertThat(k.subject()).isEqualTo("Bob Partner <" + BOB + ">");
            assertThat(k.fingerprint()).hasSize(40);
            assertThat(k.notAfter()).isNull();
        });
        assertThat(binary).singleElement().extracting(ImportedKey::status).isEqualTo(Status.ALREADY_PRESENT);
        String listing = new String(gpg.run(work, "--with-colons", "--fingerprint", BOB));
        assertThat(listing).containsIgnoringCase("fpr:::::::::" + armored.get(0).fingerprint() + ":");
        assertThat(external.openPgpKey(BOB)).isPresent();
        assertThat(external.show(BOB)).singleElement().satisfies(k -> {
            assertThat(k.algorithm()).isEqualTo("RSA 3072 primary, RSA 3072 encryption subkey");
            assertThat(k.encryptionKey()).isNotNull().isNotEqualTo(k.fingerprint());
        });
    }

    @Test
    void refusesGpgKeysWithoutAUsableEncryptionKeyAndBareV6Keys() throws Exception {
        try (Gpg own = new Gpg(work.resolve("signonly-home"))) {
            own.run(work, "--quick-gen-key", "Sign Only <signonly@partner.example>", "ed25519", "sign", "never");
            own.run(work, "--armor", "--output", "signonly.asc", "--export", "signonly@partner.example");
        }
        KeyPairGenerator ed25519 = KeyPairGenerator.getInstance("Ed25519", Providers.BC);
        PGPPublicKey v6 = new JcaPGPKeyConverter().setProvider(Providers.BC).getPGPPublicKey(PublicKeyPacket.VERSION_6,
                PublicKeyAlgorithmTags.Ed25519, ed25519.generateKeyPair().getPublic(), new Date());
        Files.writeString(work.resolve("v6.asc"),
                ArmorOutputStream.armor(new PGPPublicKeyRing(List.of(v6)).getEncoded(), "PGP PUBLIC KEY BLOCK"));

        assertThat(refusal("signonly.asc")).contains("no usable encryption key");
        // v6 keys are imported (SeipdV2Test), with the checks v4 keys get: a bare key packet names no address
        assertThat(refusal("v6.asc")).contains("no user id with an email address");
    }

    /**
     * An RSA-1024 encryption subkey is refused, as an RSA-1024 certificate is (it was imported and encrypted to); a
     * key that also has a strong one is encrypted to that one.
     */
    @Test
    void refusesOpenPgpKeysThatEncryptOnlyWithRsaUnder2048Bits() throws Exception {
        try (Gpg own = new Gpg(work.resolve("weak-home"))) {
            own.run(work, "--quick-gen-key", "Weak Partner <weak@partner.example>", "rsa2048", "sign", "never");
            String fingerprint = new String(own.run(work, "--with-colons", "--list-keys", "weak@partner.example"),
                    java.nio.charset.StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
            own.run(work, "--quick-add-key", fingerprint, "rsa1024", "encr", "never");
            own.run(work, "--armor", "--output", "weak.asc", "--export", "weak@partner.example");
            assertThat(refusal("weak.asc")).contains("encrypts only with RSA 1024").contains("at least 2048 bits");

            own.run(work, "--quick-add-key", fingerprint, "rsa3072", "encr", "never");
            own.run(work, "--armor", "--output", "mixed.asc", "--export", "weak@partner.example");
            external.importFile(work.resolve("mixed.asc"));
            assertThat(external.show("weak@partner.example")).singleElement()
                    .satisfies(k -> assertThat(k.algorithm()).contains("RSA 3072 encryption subkey"));
        }
    }

    @Test
    void showsAndRemovesByAddressOrFingerprint() throws Exception {
        X509Certificate both = openSslCertificate("both", "/CN=Shared", "subjectAltName=email:" + BOB + ",email:" + CAROL);
        gpg.run(work, "--armor", "--output", "bob.asc", "--export", BOB);
        external.importFile(work.resolve("both.pem"));
        String pgpFingerprint = external.importFile(work.resolve("bob.asc")).get(0).fingerprint();
        String smimeFingerprint = Fingerprints.sha256(both);

        assertThat(external.show(BOB)).extracting(ExternalKey::format).containsExactly(Format.SMIME, Format.OPENPGP);
        assertThat(external.show(smimeFingerprint.substring(0, 12).toUpperCase())).singleElement()
                .satisfies(k -> assertThat(k.addresses()).containsExactly(BOB, CAROL));
        assertThat(external.keyInfos()).extracting(VeilKeys.KeyInfo::kind, VeilKeys.KeyInfo::subject).containsExactly(
                org.assertj.core.groups.Tuple.tuple("external-smime", BOB),
                org.assertj.core.groups.Tuple.tuple("external-smime", CAROL),
                org.assertj.core.groups.Tuple.tuple("external-openpgp", BOB));

        // By address: that address's keys only, in both formats; the certificate stays for Carol.
        List<ExternalKey> removed = external.remove(BOB);
        assertThat(removed).extracting(ExternalKey::fingerprint).containsExactly(smimeFingerprint, pgpFingerprint);
        assertThat(external.smimeCertificate(BOB)).isEmpty();
        assertThat(external.openPgpKey(BOB)).isEmpty();
        assertThat(external.smimeCertificate(CAROL)).contains(both);
        // By fingerprint: every address.
        assertThat(external.remove(smimeFingerprint)).singleElement()
                .satisfies(k -> assertThat(k.addresses()).containsExactly(CAROL));
        assertThat(external.list()).isEmpty();
        assertThatThrownBy(() -> external.show(BOB)).isInstanceOf(KeyMissingException.class).hasMessageContaining(BOB);
        assertThatThrownBy(() -> external.remove("deadbeef")).isInstanceOf(KeyMissingException.class);
        assertThatThrownBy(() -> external.show("nonsense")).hasMessageContaining("neither an address nor a fingerprint");
    }

    @Test
    void aFileRenamedToAnotherAddressIsRefusedWhenUsed() throws Exception {
        X509Certificate bob = openSslCertificate("bob", "/CN=Bob", "subjectAltName=email:" + BOB);
        external.importFile(work.resolve("bob.pem"));
        Path dir = work.resolve("keys/external/smime");
        String fingerprint = Fingerprints.sha256(bob);
        Files.move(dir.resolve(BOB + "-" + fingerprint + ".pem"), dir.resolve(CAROL + "-" + fingerprint + ".pem"));

        ExternalKeys reopened = ExternalKeys.open(work.resolve("keys"));
        assertThatThrownBy(() -> reopened.smimeCertificate(CAROL)).isInstanceOf(KeyException.class)
                .hasMessageContaining("renamed or replaced");
    }

    @Test
    void aCertificateThatExpiredSinceImportFailsClosed() throws Exception {
        writePem("short.pem", javaCertificate(BOB, Instant.now().minusSeconds(60), Instant.now().plusSeconds(2)));
        assertThat(external.importFile(work.resolve("short.pem"))).singleElement()
                .extracting(ImportedKey::status).isEqualTo(Status.IMPORTED);
        Thread.sleep(2500);

        assertThatThrownBy(() -> external.smimeCertificate(BOB)).isInstanceOf(KeyMissingException.class)
                .hasMessageContaining("not valid now");
    }

    // ---- the sealers encrypt to imported keys, and the partner's own tools decrypt ---------------------------------

    @Test
    void pgpMimeSealerEncryptsToAnImportedGpgKeyThatGpgDecrypts() throws Exception {
        gpg.run(work, "--armor", "--output", "bob.asc", "--export", BOB);
        external.importFile(work.resolve("bob.asc"));
        SharedOpenPgpKeys store = SharedOpenPgpKeys.get();
        // Not issuing: without the fallback to the imported key this would fail.
        PgpMimeSealer sealer = new PgpMimeSealer(store.keys, external, SharedOpenPgpKeys.NOT_ISSUING);
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();

        SealReport report = sealer.seal(in(PgpMimeSealerTest.MESSAGE), sealed,
                new SealRequest(List.of(BOB), true, List.of(), dev.veil.config.ContentCipher.AES_256_GCM, null));

        assertThat(report.keyFingerprints()).hasSize(2)
                .contains(external.show(BOB).get(0).encryptionKey());
        assertThat(store.keys.hasUserKey(BOB)).isFalse();
        Files.writeString(work.resolve("part2.asc"), PgpMimeSealerTest.armored(sealed.toByteArray()));
        assertThat(new String(gpg.run(work, "--decrypt", "part2.asc"))).isEqualTo(PgpMimeSealerTest.MESSAGE);
    }

    @Test
    void pgpMimeSealerEncryptsToAnImportedCurve25519GpgKeyThatGpgDecrypts() throws Exception {
        gpg.run(work, "--armor", "--output", "carol.asc", "--export", CAROL);
        assertThat(external.importFile(work.resolve("carol.asc"))).singleElement().extracting(ImportedKey::status)
                .isEqualTo(Status.IMPORTED);
        assertThat(external.show(CAROL).get(0).algorithm()).contains("EdDSA").contains("ECDH");
        PgpMimeSealer sealer = new PgpMimeSealer(SharedOpenPgpKeys.get().keys, external, SharedOpenPgpKeys.NOT_ISSUING);
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();

        SealReport report = sealer.seal(in(PgpMimeSealerTest.MESSAGE), sealed,
                new SealRequest(List.of(CAROL), false, List.of(), dev.veil.config.ContentCipher.AES_256_GCM, null));

        assertThat(report.keyFingerprints()).containsExactly(external.show(CAROL).get(0).encryptionKey());
        Files.writeString(work.resolve("part2.asc"), PgpMimeSealerTest.armored(sealed.toByteArray()));
        assertThat(new String(gpg.run(work, "--decrypt", "part2.asc"))).isEqualTo(PgpMimeSealerTest.MESSAGE);
    }

    @Test
    void smimeSealerEncryptsToAnImportedCertificateThatOpenSslDecrypts() throws Exception {
        X509Certificate bob = openSslCertificate("bob", "/CN=Bob", "subjectAltName=email:" + BOB);
        external.importFile(work.resolve("bob.pem"));
        SharedKeyStore store = SharedKeyStore.get();
        SmimeSealer sealer = new SmimeSealer(store.keys, external, SharedKeyStore.NOT_ISSUING);
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();

        SealReport report = sealer.seal(in(PgpMimeSealerTest.MESSAGE), sealed,
                new SealRequest(List.of(BOB), true, List.of(), dev.veil.config.ContentCipher.AES_256_GCM, null));

        assertThat(report.keyFingerprints()).hasSize(2).contains(Fingerprints.sha256(bob));
        assertThat(store.keys.hasUserCertificate(BOB)).isFalse();
        Files.write(work.resolve("out.eml"), sealed.toByteArray());
        byte[] decrypted = OpenSsl.run(work, "cms", "-decrypt", "-in", "out.eml", "-inkey", "bob.key", "-recip", "bob.pem");
        assertThat(new String(decrypted)).isEqualTo(PgpMimeSealerTest.MESSAGE);
    }

    /**
     * Found by a black-box probe: with issuing on, an outbound rule encrypting to an outside recipient without an
     * imported key made a Veil certificate (and OpenPGP key) for them and relayed mail only Veil could read.
     */
    @Test
    void anOutsideRecipientIsEncryptedToOnlyWithAnImportedKeyNeverOneVeilMakes() throws Exception {
        java.util.function.Predicate<String> ownUsers = address -> address.endsWith("@example.com");
        String dora = "dora@outside.example";
        SealRequest toDora = new SealRequest(List.of(dora), false, List.of(),
                dev.veil.config.ContentCipher.AES_256_GCM, null);
        SharedKeyStore smime = SharedKeyStore.get();
        assertThatThrownBy(() -> new SmimeSealer(smime.keys, external, null, SharedKeyStore.ISSUING, ownUsers)
                .seal(in(PgpMimeSealerTest.MESSAGE), new ByteArrayOutputStream(), toDora))
                .isInstanceOf(KeyMissingException.class).hasMessageContaining("not a user of a protected domain");
        assertThat(smime.keys.hasUserCertificate(dora)).isFalse();
        SharedOpenPgpKeys openpgp = SharedOpenPgpKeys.get();
        assertThatThrownBy(() -> new PgpMimeSealer(openpgp.keys, external, null, null, SharedOpenPgpKeys.ISSUING,
                ownUsers).seal(in(PgpMimeSealerTest.MESSAGE), new ByteArrayOutputStream(), toDora))
                .isInstanceOf(KeyMissingException.class).hasMessageContaining("not a user of a protected domain");
        assertThat(openpgp.keys.hasUserKey(dora)).isFalse();

        // a certificate Veil made for an outsider before (its private key is Veil's) is passed over for the imported one
        String erin = "erin@outside.example";
        smime.keys.userCertificate(erin, SharedKeyStore.ISSUING);
        X509Certificate imported = openSslCertificate("erin", "/CN=Erin", "subjectAltName=email:" + erin);
        external.importFile(work.resolve("erin.pem"));
        SealReport report = new SmimeSealer(smime.keys, external, null, SharedKeyStore.ISSUING, ownUsers).seal(
                in(PgpMimeSealerTest.MESSAGE), new ByteArrayOutputStream(),
                new SealRequest(List.of(erin), false, List.of(), dev.veil.config.ContentCipher.AES_256_GCM, null));
        assertThat(report.keyFingerprints()).containsExactly(Fingerprints.sha256(imported));
    }

    @Test
    void aVeilIssuedKeyStillWinsOverAnImportedOne() throws Exception {
        String alice = "alice.external@example.com";
        SharedKeyStore store = SharedKeyStore.get();
        X509Certificate issued = store.keys.userCertificate(alice, SharedKeyStore.ISSUING);
        openSslCertificate("alice", "/CN=Alice", "subjectAltName=email:" + alice);
        external.importFile(work.resolve("alice.pem"));

        SealReport report = new SmimeSealer(store.keys, external, SharedKeyStore.NOT_ISSUING).seal(
                in(PgpMimeSealerTest.MESSAGE), new ByteArrayOutputStream(),
                new SealRequest(List.of(alice), false, List.of(), dev.veil.config.ContentCipher.AES_256_GCM, null));

        assertThat(report.keyFingerprints()).containsExactly(Fingerprints.sha256(issued));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private String refusal(String file) throws Exception {
        List<ImportedKey> results = external.importFile(work.resolve(file));
        assertThat(results).as(file).singleElement().extracting(ImportedKey::status).isEqualTo(Status.REFUSED);
        return results.get(0).reason();
    }

    /** {@code NAME.pem} and {@code NAME.key}: a self-signed RSA-2048 certificate made by openssl. */
    private X509Certificate openSslCertificate(String name, String subject, String... extensions) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", name + ".key", "-out", name + ".pem", "-days", "30", "-subj", subject));
        for (String extension : extensions == null ? new String[0] : extensions) {
            if (extension != null) {
                command.add("-addext");
                command.add(extension);
            }
        }
        OpenSsl.run(work, command.toArray(String[]::new));
        return ExternalKeyFiles.readStoredCertificate(Files.readAllBytes(work.resolve(name + ".pem")));
    }

    private static X509Certificate javaCertificate(String address, Instant notBefore, Instant notAfter) throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair pair = rsa.generateKeyPair();
        X500Name name = new X500Name("CN=" + address);
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(System.nanoTime()),
                Date.from(notBefore), Date.from(notAfter), name, pair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.rfc822Name, address)));
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
    }

    private void writePem(String file, X509Certificate certificate) throws Exception {
        Files.writeString(work.resolve(file), "-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
    }

    private static java.io.InputStream in(String text) {
        return new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
