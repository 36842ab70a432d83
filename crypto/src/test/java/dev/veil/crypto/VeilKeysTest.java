package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VeilKeysTest {
    static SharedKeyStore store;

    @TempDir
    Path work;

    @BeforeAll
    static void keys() throws KeyException {
        store = SharedKeyStore.get();
    }

    @Test
    void detectsAWrongMasterKeyOnOpen() {
        assertThatThrownBy(() -> VeilKeys.open(store.dir, MasterKey.generate()))
                .isInstanceOf(KeyException.class)
                .hasMessageContaining("master key does not match the keys in " + store.dir.toAbsolutePath())
                .hasMessageContaining("was VEIL_MASTER_KEY changed?");
    }

    @Test
    void issuesAUserCertificateForEmailProtectionOnFirstNeed() throws Exception {
        assertThat(store.keys.hasUserCertificate("Issued.User@Example.com")).isFalse();

        X509Certificate certificate = store.keys.userCertificate("Issued.User@Example.com", SharedKeyStore.ISSUING);

        assertThat(store.keys.hasUserCertificate("issued.user@example.com")).isTrue();
        assertThat(certificate.getSubjectX500Principal().getName()).contains("CN=issued.user@example.com");
        assertThat(certificate.getSubjectAlternativeNames()).containsExactly(List.of(1, "issued.user@example.com"));
        assertThat(certificate.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.4");
        boolean[] usage = certificate.getKeyUsage();
        assertThat(usage[0]).as("digitalSignature").isTrue();
        assertThat(usage[2]).as("keyEncipherment").isTrue();
        assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
        certificate.verify(store.keys.caCertificate().getPublicKey());
        assertThat(store.keys.userCertificate("issued.user@example.com", SharedKeyStore.NOT_ISSUING)).isEqualTo(certificate);
    }

    @Test
    void reportsAMissingKeyWhenIssuingIsOff() {
        assertThatThrownBy(() -> store.keys.userCertificate("nobody@example.com", SharedKeyStore.NOT_ISSUING))
                .isInstanceOf(KeyMissingException.class)
                .hasMessageContaining("nobody@example.com")
                .hasMessageContaining("keys.smime.issue-user-certificates");
        assertThat(store.keys.hasUserCertificate("nobody@example.com")).isFalse();
    }

    @Test
    void issuesOneCertificateWhenTwoProcessesAndThreadsAskAtOnce() throws Exception {
        // Two instances on one directory stand in for the server and a CLI process.
        VeilKeys other = VeilKeys.open(store.dir, store.masterKey);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<X509Certificate>> results = new ArrayList<>();
            for (VeilKeys keys : List.of(store.keys, other, store.keys, other)) {
                Callable<X509Certificate> issue = () -> keys.userCertificate("race@example.com", SharedKeyStore.ISSUING);
                results.add(pool.submit(issue));
            }
            Set<String> fingerprints = new java.util.HashSet<>();
            for (Future<X509Certificate> result : results) {
                fingerprints.add(Fingerprints.sha256(result.get()));
            }
            assertThat(fingerprints).hasSize(1);
            assertThat(Files.list(store.dir.resolve("users")).map(p -> p.getFileName().toString()))
                    .contains("race@example.com.pem")
                    .noneMatch(name -> name.endsWith(".tmp"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void exportsTheEscrowKeyAsOwnerOnlyPkcs8() throws Exception {
        store.keys.exportEscrow(work);

        Path key = work.resolve("escrow-key.pem");
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(Files.readString(work.resolve("escrow-cert.pem"))).startsWith("-----BEGIN CERTIFICATE-----");
    }

    @Test
    void exportsAPkcs12ThatOpenSsl3ImportsWithoutLegacyAlgorithms() throws Exception {
        OpenSsl.assumeInstalled();
        X509Certificate certificate = store.keys.userCertificate("p12.user@example.com", SharedKeyStore.ISSUING);
        store.keys.exportUserPkcs12("p12.user@example.com", "s3cret pass".toCharArray(), work.resolve("user.p12"));

        String info = new String(OpenSsl.run(work, "pkcs12", "-in", "user.p12", "-info", "-noout",
                "-passin", "pass:s3cret pass"), StandardCharsets.UTF_8)
                + Files.readString(work.resolve("openssl-stderr.txt"));
        String pem = new String(OpenSsl.run(work, "pkcs12", "-in", "user.p12", "-nodes", "-passin", "pass:s3cret pass"),
                StandardCharsets.UTF_8);

        assertThat(info).contains("MAC: sha256").contains("PBES2").contains("AES-256-CBC").contains("hmacWithSHA256")
                .doesNotContain("3DES").doesNotContain("RC2");
        assertThat(pem).contains("-----BEGIN PRIVATE KEY-----").contains("subject=CN = p12.user@example.com");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(work.resolve("user.p12")))).isEqualTo("rw-------");
        assertThat(certificate).isNotNull();
    }

    @Test
    void listsKeysWithoutKeyMaterial() throws Exception {
        store.keys.userCertificate("listed@example.com", SharedKeyStore.ISSUING);

        List<VeilKeys.KeyInfo> infos = store.keys.list();

        assertThat(infos).extracting(VeilKeys.KeyInfo::kind).startsWith("ca", "escrow").contains("user");
        assertThat(infos).extracting(VeilKeys.KeyInfo::subject).contains("listed@example.com");
        assertThat(infos).allSatisfy(info -> assertThat(info.fingerprint()).matches("[0-9a-f]{64}"));
    }

    @Test
    void refusesACertificateFileCopiedUnderAnotherAddress() throws Exception {
        store.keys.userCertificate("original@example.com", SharedKeyStore.ISSUING);
        Path users = store.dir.resolve("users");
        Files.copy(users.resolve("original@example.com.pem"), users.resolve("impostor@example.com.pem"));
        try {
            VeilKeys fresh = VeilKeys.open(store.dir, store.masterKey);
            assertThatThrownBy(() -> fresh.userCertificate("impostor@example.com", SharedKeyStore.ISSUING))
                    .isInstanceOf(KeyException.class)
                    .hasMessageContaining("is not for impostor@example.com");
        } finally {
            Files.delete(users.resolve("impostor@example.com.pem"));
        }
    }

    @Test
    void rejectsSomethingThatIsNoAddress() {
        assertThatThrownBy(() -> store.keys.userCertificate("../../etc/passwd", SharedKeyStore.ISSUING))
                .isInstanceOf(KeyException.class).hasMessageContaining("is not a mail address");
        assertThat(Addresses.fileName("a/b@x")).isEqualTo("a%2fb@x.pem");
        assertThat(Addresses.fromFileName("a%2fb@x.pem")).isEqualTo("a/b@x");
    }

    /**
     * A lost escrow key file is not replaced in silence (a black-box probe deleted keys/escrow.pem and the next start
     * made a new escrow key, so later mail went to a key the organisation's backup does not hold); deleting the note
     * beside it is the deliberate way to a new one. The same for the OpenPGP escrow key.
     */
    @Test
    void aLostEscrowKeyIsNotReplacedUnlessTheAdminSaysSo() throws Exception {
        MasterKey master = MasterKey.generate();
        Path dir = work.resolve("escrow-store");
        VeilKeys keys = VeilKeys.open(dir, master);
        keys.initialise("Example Org", SharedKeyStore.ISSUING);
        String first = Files.readString(dir.resolve("escrow.pem.made")).strip();
        assertThat(first).isEqualTo(Fingerprints.sha256(keys.escrowCertificate()));

        Files.delete(dir.resolve("escrow.pem"));
        VeilKeys reopened = VeilKeys.open(dir, master);
        assertThatThrownBy(() -> reopened.initialise("Example Org", SharedKeyStore.ISSUING))
                .isInstanceOf(KeyException.class).hasMessageContaining("restore that file from its backup")
                .hasMessageContaining(first);
        assertThat(dir.resolve("escrow.pem")).doesNotExist();

        Files.delete(dir.resolve("escrow.pem.made"));
        reopened.initialise("Example Org", SharedKeyStore.ISSUING);
        assertThat(Fingerprints.sha256(reopened.escrowCertificate())).isNotEqualTo(first)
                .isEqualTo(Files.readString(dir.resolve("escrow.pem.made")).strip());

        OpenPgpKeys pgp = OpenPgpKeys.open(dir, master);
        pgp.initialise("Example Org", SharedOpenPgpKeys.ISSUING);
        assertThat(dir.resolve("openpgp").resolve("escrow.asc.made")).exists();
        Files.delete(dir.resolve("openpgp").resolve("escrow.asc"));
        OpenPgpKeys pgpAgain = OpenPgpKeys.open(dir, master);
        assertThatThrownBy(() -> pgpAgain.initialise("Example Org", SharedOpenPgpKeys.ISSUING))
                .isInstanceOf(KeyException.class).hasMessageContaining("restore that file from its backup");
    }

    /**
     * A user key file Veil issued that is gone (deleted, renamed) is not replaced in silence: the user's mail program
     * holds that key. A black-box probe's next message went to a fresh key, the health check green. Rotating is the
     * deliberate way to a new key; after a revocation the next message gets one, as documented.
     */
    @Test
    void aLostUserKeyIsNotReplacedUnlessTheAdminRotatesIt() throws Exception {
        MasterKey master = MasterKey.generate();
        Path dir = work.resolve("user-store");
        VeilKeys keys = VeilKeys.open(dir, master);
        keys.initialise("Example Org", SharedKeyStore.ISSUING);
        String first = Fingerprints.sha256(keys.userCertificate("bob@example.com", SharedKeyStore.ISSUING));
        Path file = dir.resolve("users").resolve("bob@example.com.pem");
        assertThat(Files.readString(dir.resolve("users").resolve("bob@example.com.pem.made")).strip()).isEqualTo(first);

        Files.move(file, dir.resolve("users").resolve("bob-old.pem"));
        VeilKeys reopened = VeilKeys.open(dir, master);
        assertThatThrownBy(() -> reopened.userCertificate("bob@example.com", SharedKeyStore.ISSUING))
                .isInstanceOf(KeyMissingException.class).hasMessageContaining("restore that file from its backup")
                .hasMessageContaining(first).hasMessageContaining("veil keys rotate bob@example.com");
        assertThat(file).doesNotExist();
        assertThat(reopened.userKeyProblems()).as("the health check tells").anySatisfy(p -> assertThat(p)
                .contains("bob@example.com.pem").contains("is missing"));

        String second = reopened.rotateUser("bob@example.com", SharedKeyStore.ISSUING).fingerprint();
        assertThat(second).isNotEqualTo(first);
        assertThat(Fingerprints.sha256(reopened.userCertificate("bob@example.com", SharedKeyStore.ISSUING)))
                .isEqualTo(second);

        Path revokedCopy = dir.resolve("revoked-backup.pem");
        Files.copy(file, revokedCopy);
        reopened.revokeUser("bob@example.com");
        String third = Fingerprints.sha256(reopened.userCertificate("bob@example.com", SharedKeyStore.ISSUING));
        assertThat(third).as("after a revocation, a new key").isNotIn(first, second);

        // the revoked key's file restored from a backup is not the key Veil issued bob last (a black-box probe's
        // mail went to it, the health check green)
        Files.copy(revokedCopy, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        VeilKeys restored = VeilKeys.open(dir, master);
        assertThatThrownBy(() -> restored.userCertificate("bob@example.com", SharedKeyStore.ISSUING))
                .isInstanceOf(KeyException.class).hasMessageContaining("the file was replaced")
                .hasMessageContaining(third);
        assertThat(restored.userKeyProblems()).anySatisfy(p -> assertThat(p).contains("the file was replaced"));
        restored.rotateUser("bob@example.com", SharedKeyStore.ISSUING);
        Files.delete(dir.resolve("users").resolve("bob-old.pem")); // the renamed file of the first key, reported too
        assertThat(restored.userKeyProblems()).isEmpty();

        // a key issued before the note gets one at its next use
        Path note = dir.resolve("users").resolve("bob@example.com.pem.made");
        Files.delete(note);
        VeilKeys beforeNotes = VeilKeys.open(dir, master);
        beforeNotes.userCertificate("bob@example.com", SharedKeyStore.ISSUING);
        assertThat(note).exists();

        OpenPgpKeys pgp = OpenPgpKeys.open(dir, master);
        pgp.initialise("Example Org", SharedOpenPgpKeys.ISSUING);
        pgp.userKey("carol@example.com", SharedOpenPgpKeys.ISSUING);
        Path pgpFile = dir.resolve("openpgp").resolve("users").resolve("carol@example.com.asc");
        assertThat(pgpFile).exists();
        Files.delete(pgpFile);
        OpenPgpKeys pgpAgain = OpenPgpKeys.open(dir, master);
        assertThatThrownBy(() -> pgpAgain.userKey("carol@example.com", SharedOpenPgpKeys.ISSUING))
                .isInstanceOf(KeyMissingException.class).hasMessageContaining("restore that file from its backup")
                .hasMessageContaining("veil keys rotate carol@example.com --format openpgp");
        pgpAgain.rotateUser("carol@example.com", SharedOpenPgpKeys.ISSUING);
        assertThat(pgpAgain.userKey("carol@example.com", SharedOpenPgpKeys.ISSUING)).isNotNull();
    }
}
