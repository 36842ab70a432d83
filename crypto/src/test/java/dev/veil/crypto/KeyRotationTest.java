package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.Action;
import dev.veil.config.ContentCipher;
import dev.veil.config.KeySettings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.Period;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.cert.X509CRLHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key rotation, revocation and master key rotation: new mail uses new keys, old mail stays readable, nothing is lost. */
class KeyRotationTest {
    private static final String ALICE = "alice@example.com";
    private static final String MESSAGE = "From: bob@partner.example\r\nTo: alice@example.com\r\nSubject: s\r\n\r\nsecret\r\n";
    private static final KeySettings SETTINGS = settings(Optional.empty());
    /** OpenPGP only, Ed25519 user keys (quick to make), issued on first use. */
    private static final KeySettings OPENPGP = new KeySettings(true, "rsa-3072", true, List.of(Action.Format.OPENPGP),
            "ed25519", "Veil organisation CA", KeySettings.DEFAULT_CA_VALIDITY, KeySettings.DEFAULT_ROTATION,
            Optional.empty(), Map.of());

    @TempDir
    Path dir;

    @Test
    void rotatedSmimeKeyIsReplacedForNewMailAndStillOpensOldMail() throws Exception {
        MasterKey master = MasterKey.generate();
        VeilKeys keys = VeilKeys.open(dir, master);
        keys.initialise("Example Ltd", SETTINGS);
        X509Certificate before = keys.userCertificate(ALICE, SETTINGS);
        byte[] old = seal(keys, ALICE);

        VeilKeys.Rotation rotation = keys.rotateUser(ALICE, SETTINGS);

        assertThat(rotation.replacedFingerprint()).isEqualTo(Fingerprints.sha256(before));
        X509Certificate after = keys.userCertificate(ALICE, SETTINGS);
        assertThat(Fingerprints.sha256(after)).isEqualTo(rotation.fingerprint()).isNotEqualTo(rotation.replacedFingerprint());
        // a second process (the server) that cached the old certificate sees the new one at its next lookup
        VeilKeys other = VeilKeys.open(dir, master);
        assertThat(Fingerprints.sha256(other.userCertificate(ALICE, SETTINGS))).isEqualTo(rotation.fingerprint());
        // old mail: opened with the retired key; new mail: sealed for the new key only
        assertThat(open(VeilKeys.open(dir, master), old)).isEqualTo(MESSAGE);
        byte[] fresh = seal(keys, ALICE);
        assertThat(open(keys, fresh)).isEqualTo(MESSAGE);
        assertThat(keys.list()).extracting(VeilKeys.KeyInfo::status)
                .anySatisfy(s -> assertThat(s).startsWith("retired "));
        assertThat(Files.list(dir.resolve("retired"))).hasSize(1);
        // the escrow key too
        String escrowBefore = Fingerprints.sha256(keys.escrowCertificate());
        assertThat(keys.rotateEscrow(SETTINGS).replacedFingerprint()).isEqualTo(escrowBefore);
        assertThat(Fingerprints.sha256(keys.escrowCertificate())).isNotEqualTo(escrowBefore);
        assertThat(open(keys, old)).isEqualTo(MESSAGE);
    }

    @Test
    void aUsersExportWithRetiredKeysOpensTheirOldMailWithOpenssl() throws Exception {
        OpenSsl.assumeInstalled();
        VeilKeys keys = VeilKeys.open(dir.resolve("store"), MasterKey.generate());
        keys.initialise("Example Ltd", SETTINGS);
        byte[] old = seal(keys, ALICE);
        keys.rotateUser(ALICE, SETTINGS);
        byte[] fresh = seal(keys, ALICE);
        Path export = Files.createDirectories(dir.resolve("export"));
        Files.write(export.resolve("old.eml"), old);
        Files.write(export.resolve("new.eml"), fresh);

        assertThat(keys.exportUserPkcs12(ALICE, "pw".toCharArray(), export.resolve("plain.p12"), false)).isZero();
        assertThat(keys.exportUserPkcs12(ALICE, "pw".toCharArray(), export.resolve("alice.p12"), true)).isEqualTo(1);

        // as the README has users do it: the first key of the PEM is the current one, which opens new mail
        OpenSsl.run(export, "pkcs12", "-in", "alice.p12", "-passin", "pass:pw", "-nodes", "-out", "alice.pem");
        assertThat(Files.readString(export.resolve("alice.pem")).split("BEGIN PRIVATE KEY", -1)).hasSize(3);
        assertThat(new String(OpenSsl.run(export, "cms", "-decrypt", "-in", "new.eml", "-inkey", "alice.pem"),
                StandardCharsets.US_ASCII)).isEqualTo(MESSAGE);
        // the retired key is in the file too, and openssl opens the old mail with it
        OpenSsl.run(export, "pkcs12", "-in", "alice.p12", "-passin", "pass:pw", "-nodes", "-nocerts", "-out", "keys.pem");
        String second = "-----BEGIN PRIVATE KEY" + Files.readString(export.resolve("keys.pem")).split("-----BEGIN PRIVATE KEY")[2];
        Files.writeString(export.resolve("retired-key.pem"), second);
        assertThat(new String(OpenSsl.run(export, "cms", "-decrypt", "-in", "old.eml", "-inkey", "retired-key.pem"),
                StandardCharsets.US_ASCII)).isEqualTo(MESSAGE);
        // without --with-retired the file holds the current key only
        OpenSsl.run(export, "pkcs12", "-in", "plain.p12", "-passin", "pass:pw", "-nodes", "-nocerts", "-out", "plain.pem");
        assertThat(Files.readString(export.resolve("plain.pem")).split("BEGIN PRIVATE KEY", -1)).hasSize(2);
    }

    @Test
    void theEscrowExportHoldsTheRetiredEscrowKeysSoOpensslOpensOldMail() throws Exception {
        OpenSsl.assumeInstalled();
        VeilKeys keys = VeilKeys.open(dir.resolve("store"), MasterKey.generate());
        keys.initialise("Example Ltd", SETTINGS);
        ByteArrayOutputStream old = new ByteArrayOutputStream();
        new SmimeSealer(keys, SETTINGS).seal(new ByteArrayInputStream(MESSAGE.getBytes(StandardCharsets.US_ASCII)), old,
                new SealRequest(List.of(ALICE), true, List.of(), ContentCipher.AES_256_GCM, "[encrypted]"));
        String retired = keys.rotateEscrow(SETTINGS).replacedFingerprint();
        Path export = dir.resolve("export");

        keys.exportEscrow(export, "pw".toCharArray());

        Files.write(export.resolve("old.eml"), old.toByteArray());
        String name = "retired/escrow-" + retired.substring(0, 16);
        byte[] opened = OpenSsl.run(export, "cms", "-decrypt", "-in", "old.eml", "-inkey", name + "-key.pem",
                "-passin", "pass:pw", "-recip", name + "-cert.pem");
        assertThat(new String(opened, StandardCharsets.US_ASCII)).isEqualTo(MESSAGE);
        // the current one is where it always was, and is not the retired one
        X509Certificate current;
        try (var in = Files.newInputStream(export.resolve("escrow-cert.pem"))) {
            current = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        assertThat(Fingerprints.sha256(current)).isEqualTo(Fingerprints.sha256(keys.escrowCertificate()))
                .isNotEqualTo(retired);
    }

    @Test
    void oldKeysArePrunedAfterKeepOldKeysAndNeverWhenForever() throws Exception {
        VeilKeys keys = VeilKeys.open(dir, MasterKey.generate());
        keys.initialise("Example Ltd", SETTINGS);
        keys.userCertificate(ALICE, SETTINGS);
        keys.rotateUser(ALICE, SETTINGS);
        keys.rotateUser(ALICE, SETTINGS);
        assertThat(Files.list(dir.resolve("retired"))).hasSize(2);
        // a retired key whose time is up: rename one as if retired two years ago
        Path oldest = Files.list(dir.resolve("retired")).sorted().findFirst().orElseThrow();
        RetiredKey name = RetiredKey.parse(oldest.getFileName().toString(), ".pem").orElseThrow();
        Files.move(oldest, oldest.resolveSibling(new RetiredKey(name.owner(), Instant.now().minus(java.time.Duration.ofDays(800)),
                name.fingerprint(), false).fileName(".pem")));
        keys.rotateUser(ALICE, SETTINGS);
        assertThat(Files.list(dir.resolve("retired"))).as("forever keeps all").hasSize(3);
        keys.rotateUser(ALICE, settings(Optional.of(Period.ofYears(1))));
        assertThat(Files.list(dir.resolve("retired"))).as("the two-year-old one is gone").hasSize(3);
    }

    @Test
    void policyRotationReplacesKeysOlderThanTheRotationPeriod() throws Exception {
        VeilKeys keys = VeilKeys.open(dir, MasterKey.generate());
        keys.initialise("Example Ltd", SETTINGS);
        X509Certificate certificate = keys.userCertificate(ALICE, SETTINGS);
        Instant issued = certificate.getNotBefore().toInstant();
        assertThat(VeilKeys.dueForRotation(certificate, Period.ofYears(1), issued.plus(java.time.Duration.ofDays(364)))).isFalse();
        assertThat(VeilKeys.dueForRotation(certificate, Period.ofYears(1), issued.plus(java.time.Duration.ofDays(367)))).isTrue();
        assertThat(VeilKeys.dueForRotation(certificate, Period.ZERO, issued.plus(java.time.Duration.ofDays(9999)))).isFalse();
    }

    @Test
    void revokedSmimeKeyIsListedInTheCrlThatOpensslVerifies() throws Exception {
        OpenSsl.assumeInstalled();
        VeilKeys keys = VeilKeys.open(dir, MasterKey.generate());
        keys.initialise("Example Ltd", SETTINGS);
        X509Certificate revoked = keys.userCertificate(ALICE, SETTINGS);
        byte[] old = seal(keys, ALICE);

        String fingerprint = keys.revokeUser(ALICE);

        assertThat(fingerprint).isEqualTo(Fingerprints.sha256(revoked));
        assertThat(keys.hasUserCertificate(ALICE)).isFalse();
        assertThat(Fingerprints.sha256(keys.userCertificate(ALICE, SETTINGS))).as("a new key at the next message")
                .isNotEqualTo(fingerprint);
        assertThat(open(keys, old)).as("old mail stays readable").isEqualTo(MESSAGE);
        Files.write(dir.resolve("ca.crt"), Pem.encode("CERTIFICATE", keys.caCertificate().getEncoded()));
        Files.write(dir.resolve("revoked.crt"), Pem.encode("CERTIFICATE", revoked.getEncoded()));
        // README's command, with the CA certificate Veil writes alone (ca.pem also holds the wrapped CA key)
        String crl = new String(OpenSsl.run(dir, "crl", "-inform", "DER", "-in", "ca.crl", "-CAfile", "ca-cert.pem",
                "-noout", "-text"), StandardCharsets.US_ASCII);
        assertThat(crl).containsIgnoringCase(revoked.getSerialNumber().toString(16));
        assertThat(Files.readString(dir.resolve("openssl-stderr.txt"))).contains("verify OK");
        // RFC 5280 5.2: a conforming CA's CRL carries its number and the CA's key identifier
        String caKeyId = new String(OpenSsl.run(dir, "x509", "-in", "ca-cert.pem", "-noout", "-ext", "subjectKeyIdentifier"),
                StandardCharsets.US_ASCII).lines().reduce((first, second) -> second).orElseThrow().strip();
        assertThat(crl).contains("X509v3 CRL Number:").contains("X509v3 Authority Key Identifier:").contains(caKeyId);
        // and openssl's certificate check with the CRL rejects the revoked certificate
        OpenSsl.run(dir, "crl", "-inform", "DER", "-in", "ca.crl", "-out", "ca.crl.pem");
        Files.writeString(dir.resolve("chain.pem"), Files.readString(dir.resolve("ca.crt")) + Files.readString(dir.resolve("ca.crl.pem")));
        Process verify = new ProcessBuilder("openssl", "verify", "-crl_check", "-CAfile", "chain.pem", "-purpose", "smimeencrypt",
                "revoked.crt").directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(verify.waitFor()).as(output).isNotZero();
        assertThat(output).contains("revoked");
    }

    @Test
    void theCrlIsReissuedWithAHigherNumberOncePastHalfItsValidity() throws Exception {
        OpenSsl.assumeInstalled();
        VeilKeys keys = VeilKeys.open(dir, MasterKey.generate());
        keys.initialise("Example Ltd", SETTINGS);
        assertThat(keys.refreshRevocationList()).as("nothing revoked yet: no CRL to reissue").isFalse();
        X509Certificate revoked = keys.userCertificate(ALICE, SETTINGS);
        keys.revokeUser(ALICE);
        java.math.BigInteger first = crlNumber();

        assertThat(keys.refreshRevocationList()).as("fresh: left alone").isFalse();
        Instant later = Instant.now().plus(VeilKeys.CRL_VALIDITY.dividedBy(2)).plusSeconds(60);
        assertThat(keys.refreshRevocationList(later)).isTrue();

        X509CRLHolder reissued = new X509CRLHolder(Files.readAllBytes(dir.resolve("ca.crl")));
        assertThat(crlNumber()).isGreaterThan(first);
        assertThat(reissued.getNextUpdate().toInstant()).isEqualTo(later.plus(VeilKeys.CRL_VALIDITY).truncatedTo(ChronoUnit.SECONDS));
        assertThat(reissued.getRevokedCertificate(revoked.getSerialNumber())).as("same entries").isNotNull();
        String text = new String(OpenSsl.run(dir, "crl", "-inform", "DER", "-in", "ca.crl", "-CAfile", "ca-cert.pem",
                "-noout", "-text"), StandardCharsets.US_ASCII);
        assertThat(Files.readString(dir.resolve("openssl-stderr.txt"))).contains("verify OK");
        assertThat(text).contains("X509v3 CRL Number:");
    }

    private java.math.BigInteger crlNumber() throws Exception {
        X509CRLHolder crl = new X509CRLHolder(Files.readAllBytes(dir.resolve("ca.crl")));
        return org.bouncycastle.asn1.x509.CRLNumber.getInstance(
                crl.getExtension(org.bouncycastle.asn1.x509.Extension.cRLNumber).getParsedValue()).getCRLNumber();
    }

    @Test
    void openPgpRotationAndRevocationWithACertificateGpgAccepts() throws Exception {
        MasterKey master = MasterKey.generate();
        OpenPgpKeys keys = OpenPgpKeys.open(dir, master);
        keys.initialise("Example Ltd", OPENPGP);
        String first = OpenPgpKeys.fingerprint(keys.userKey(ALICE, OPENPGP).getPublicKey());
        byte[] old = sealPgp(keys, OPENPGP);

        VeilKeys.Rotation rotation = keys.rotateUser(ALICE, OPENPGP);
        assertThat(rotation.replacedFingerprint()).isEqualTo(first);
        assertThat(OpenPgpKeys.fingerprint(OpenPgpKeys.open(dir, master).userKey(ALICE, OPENPGP).getPublicKey()))
                .isEqualTo(rotation.fingerprint()).isNotEqualTo(first);
        assertThat(openPgp(keys, old)).isEqualTo(MESSAGE);

        Path certificate = keys.revokeUser(ALICE);
        assertThat(keys.hasUserKey(ALICE)).isFalse();
        assertThat(openPgp(keys, old)).isEqualTo(MESSAGE);
        assertThat(keys.list()).extracting(VeilKeys.KeyInfo::status).anySatisfy(s -> assertThat(s).startsWith("revoked "));
        try (Gpg gpg = new Gpg(dir.resolve("gnupg"))) {
            gpg.run(dir, "--import", certificate.toString());
            String listing = new String(gpg.run(dir, "--list-keys", "--with-colons"), StandardCharsets.UTF_8);
            assertThat(listing).as("gpg marks the imported key revoked").containsPattern("(?m)^pub:r:");
        }
    }

    @Test
    void theOpenPgpEscrowExportHoldsTheRetiredEscrowKeysSoGpgOpensOldMail() throws Exception {
        OpenPgpKeys keys = OpenPgpKeys.open(dir.resolve("store"), MasterKey.generate());
        keys.initialise("Example Ltd", OPENPGP);
        ByteArrayOutputStream old = new ByteArrayOutputStream();
        new PgpMimeSealer(keys, OPENPGP).seal(new ByteArrayInputStream(MESSAGE.getBytes(StandardCharsets.US_ASCII)), old,
                new SealRequest(List.of(ALICE), true, List.of(), ContentCipher.AES_256_GCM, "[encrypted]"));
        String retired = keys.rotateEscrow(OPENPGP).replacedFingerprint();
        Path export = dir.resolve("export");
        char[] passphrase = Gpg.PASSPHRASE.toCharArray();

        keys.exportEscrowSecret(passphrase, export.resolve("escrow-secret.asc"));
        List<Path> written = keys.exportRetiredEscrowSecrets(passphrase, export.resolve("retired"));

        String name = "escrow-" + retired.substring(0, 16);
        assertThat(written).containsExactly(export.resolve("retired").resolve(name + "-secret.asc"));
        assertThat(export.resolve("retired").resolve(name + "-public.asc")).exists();
        Files.write(export.resolve("old.eml"), old.toByteArray());
        try (Gpg gpg = new Gpg(dir.resolve("gnupg"))) {
            gpg.run(export, "--import", "escrow-secret.asc");
            assertThat(gpg.attempt(export, "--decrypt", "old.eml").exit()).as("the current escrow key cannot").isNotZero();
            gpg.run(export, "--import", "retired/" + name + "-secret.asc");
            String opened = new String(gpg.run(export, "--decrypt", "old.eml"), StandardCharsets.US_ASCII);
            assertThat(opened).contains("secret");
        }
    }

    @Test
    void theOpenPgpUserExportWithRetiredKeysLetsGpgOpenMailFromBeforeEachRotation() throws Exception {
        OpenPgpKeys keys = OpenPgpKeys.open(dir.resolve("store"), MasterKey.generate());
        keys.initialise("Example Ltd", OPENPGP);
        Path work = Files.createDirectories(dir.resolve("work"));
        Files.write(work.resolve("first.eml"), sealPgp(keys, OPENPGP));
        keys.rotateUser(ALICE, OPENPGP);
        Files.write(work.resolve("second.eml"), sealPgp(keys, OPENPGP));
        keys.revokeUser(ALICE);
        Files.write(work.resolve("third.eml"), sealPgp(keys, OPENPGP)); // to the key issued after the revocation
        keys.userKey("bob@example.com", OPENPGP);
        String bobsRetired = keys.rotateUser("bob@example.com", OPENPGP).replacedFingerprint();
        char[] passphrase = Gpg.PASSPHRASE.toCharArray();

        assertThat(keys.exportSecret(ALICE, passphrase, work.resolve("current.asc"), false)).isZero();
        assertThat(keys.exportSecret(ALICE, passphrase, work.resolve("all.asc"), true)).isEqualTo(2);

        try (Gpg gpg = new Gpg(dir.resolve("gnupg-current"))) {
            gpg.run(work, "--import", "current.asc");
            assertThat(new String(gpg.run(work, "--decrypt", "third.eml"), StandardCharsets.US_ASCII)).contains("secret");
            assertThat(gpg.attempt(work, "--decrypt", "first.eml").exit()).as("the current key alone").isNotZero();
            assertThat(gpg.attempt(work, "--decrypt", "second.eml").exit()).as("the current key alone").isNotZero();
        }
        try (Gpg gpg = new Gpg(dir.resolve("gnupg-all"))) {
            gpg.run(work, "--import", "all.asc");
            for (String message : List.of("first.eml", "second.eml", "third.eml")) {
                assertThat(new String(gpg.run(work, "--decrypt", message), StandardCharsets.US_ASCII)).as(message)
                        .contains("secret");
            }
            String listed = new String(gpg.run(work, "--with-colons", "--list-secret-keys"), StandardCharsets.UTF_8);
            assertThat(listed.lines().filter(l -> l.startsWith("sec:"))).as("Alice's three keys, no one else's")
                    .hasSize(3);
            assertThat(listed).doesNotContain("bob@example.com").doesNotContain(bobsRetired.toUpperCase());
        }
    }

    @Test
    void masterKeyRotationInterruptedAtAnyPointLosesNothingAndCompletesOnRerun() throws Exception {
        Path masterFile = dir.resolve("master.key");
        MasterKey master = MasterKey.load(Map.of(), masterFile, w -> { });
        VeilKeys smime = VeilKeys.open(dir.resolve("keys"), master);
        smime.initialise("Example Ltd", SETTINGS);
        smime.userCertificate(ALICE, SETTINGS);
        smime.userCertificate("bob@example.com", SETTINGS);
        smime.rotateUser(ALICE, SETTINGS);
        byte[] old = seal(smime, "bob@example.com");
        PseudonymKeys pseudonyms = PseudonymKeys.open(dir.resolve("keys"), master);
        String token = Pseudonymiser.of(pseudonyms).token("e", "x@y.example");
        String oldKey = Files.readString(masterFile);

        // interrupted after re-wrapping part of the store: both keys open everything
        assertThat(master.beginRotation()).isTrue();
        MasterKey serverSide = MasterKey.load(Map.of(), masterFile, w -> { });
        assertThat(serverSide.rotating()).isTrue();
        assertThat(smime.rewrapAll()).isEqualTo(5); // CA, escrow, two users, one retired
        MasterKey afterCrash = MasterKey.load(Map.of(), masterFile, w -> { });
        assertThat(open(VeilKeys.open(dir.resolve("keys"), afterCrash), old)).isEqualTo(MESSAGE);
        assertThat(Pseudonymiser.of(PseudonymKeys.open(dir.resolve("keys"), afterCrash)).reveal("e", token)).contains("x@y.example");

        // the re-run: resumes with the same next key, skips what is done
        MasterKey rerun = MasterKey.load(Map.of(), masterFile, w -> { });
        assertThat(rerun.beginRotation()).isTrue();
        assertThat(VeilKeys.open(dir.resolve("keys"), rerun).rewrapAll()).isZero();
        assertThat(PseudonymKeys.open(dir.resolve("keys"), rerun).rewrapAll()).isEqualTo(1);
        rerun.completeRotation();

        assertThat(Files.exists(MasterKey.nextFile(masterFile))).isFalse();
        MasterKey rotated = MasterKey.load(Map.of(), masterFile, w -> { });
        assertThat(open(VeilKeys.open(dir.resolve("keys"), rotated), old)).isEqualTo(MESSAGE);
        assertThat(Pseudonymiser.of(PseudonymKeys.open(dir.resolve("keys"), rotated)).reveal("e", token)).contains("x@y.example");
        assertThatThrownBy(() -> VeilKeys.open(dir.resolve("keys"), MasterKey.fromBase64(oldKey)))
                .as("the old master key opens nothing any more").isInstanceOf(KeyException.class);
        // the server's key object that was loaded before the rotation follows it (re-reads the file)
        assertThat(open(VeilKeys.open(dir.resolve("keys"), serverSide), old)).isEqualTo(MESSAGE);
        // and what the server wraps after the rotation (a key it issues) is under the new key alone
        MasterKey newOnly = MasterKey.fromBase64(Files.readString(masterFile));
        byte[] ad = "late entry".getBytes(StandardCharsets.US_ASCII);
        assertThat(newOnly.unwrap(serverSide.wrap(new byte[] {1, 2, 3}, ad), ad)).containsExactly(1, 2, 3);
        VeilKeys.open(dir.resolve("keys"), serverSide).userCertificate("late@example.com", SETTINGS);
        assertThat(VeilKeys.open(dir.resolve("keys"), newOnly).rewrapAll()).as("nothing under the old key").isZero();
    }

    @Test
    void environmentMasterKeyRotatesWithThePreviousKeyBeside() throws Exception {
        MasterKey oldKey = MasterKey.generate();
        VeilKeys keys = VeilKeys.open(dir, oldKey);
        keys.initialise("Example Ltd", SETTINGS);
        byte[] old = seal(keys, ALICE);
        MasterKey newKey = MasterKey.generate();
        MasterKey both = MasterKey.load(Map.of(MasterKey.ENV_VARIABLE, newKey.toBase64(),
                MasterKey.PREVIOUS_ENV_VARIABLE, oldKey.toBase64()), dir.resolve("unused"), w -> { });
        assertThat(both.beginRotation()).isFalse();
        assertThat(both.rotating()).isTrue();
        assertThat(VeilKeys.open(dir, both).rewrapAll()).isEqualTo(3);
        assertThat(open(VeilKeys.open(dir, newKey), old)).isEqualTo(MESSAGE);
        assertThatThrownBy(() -> VeilKeys.open(dir, oldKey)).isInstanceOf(KeyException.class);
    }

    private static KeySettings settings(Optional<Period> keepOldKeys) {
        return new KeySettings(true, "rsa-2048", true, List.of(Action.Format.SMIME), "ed25519", "Veil organisation CA",
                KeySettings.DEFAULT_CA_VALIDITY, KeySettings.DEFAULT_ROTATION, keepOldKeys, Map.of());
    }

    private static byte[] seal(VeilKeys keys, String to) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SmimeSealer(keys, SETTINGS).seal(new ByteArrayInputStream(MESSAGE.getBytes(StandardCharsets.US_ASCII)), out,
                new SealRequest(List.of(to), false, List.of(), ContentCipher.AES_256_GCM, "[encrypted]"));
        return out.toByteArray();
    }

    private static String open(VeilKeys keys, byte[] sealed) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SmimeOpener(keys).open(new ByteArrayInputStream(sealed), out);
        return out.toString(StandardCharsets.US_ASCII);
    }

    private static byte[] sealPgp(OpenPgpKeys keys, KeySettings settings) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PgpMimeSealer(keys, settings).seal(new ByteArrayInputStream(MESSAGE.getBytes(StandardCharsets.US_ASCII)), out,
                new SealRequest(List.of(ALICE), false, List.of(), ContentCipher.AES_256_GCM, "[encrypted]"));
        return out.toByteArray();
    }

    private static String openPgp(OpenPgpKeys keys, byte[] sealed) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PgpMimeOpener(keys).open(new ByteArrayInputStream(sealed), out);
        return out.toString(StandardCharsets.US_ASCII);
    }
}
