package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenPgpKeysTest {
    static SharedOpenPgpKeys store;
    static Gpg gpg;
    static Path gpgHome;

    @TempDir
    Path work;

    @BeforeAll
    static void keys() throws Exception {
        store = SharedOpenPgpKeys.get();
        gpgHome = Files.createTempDirectory("veil-gpg");
        gpg = new Gpg(gpgHome.resolve("home"));
    }

    @AfterAll
    static void stopGpg() {
        gpg.close();
        SharedKeyStore.deleteTree(gpgHome);
    }

    @Test
    void issuesAV4Ed25519KeyOnFirstNeedAndReusesIt() throws Exception {
        PGPPublicKeyRing ring = store.keys.userKey("Keys.One@Example.com", SharedOpenPgpKeys.ISSUING);

        PGPPublicKey primary = ring.getPublicKey();
        assertThat(primary.getVersion()).isEqualTo(4);
        assertThat(primary.getAlgorithm()).isEqualTo(PublicKeyAlgorithmTags.EDDSA_LEGACY);
        assertThat(OpenPgpKeyMaterial.userId(ring)).isEqualTo("<keys.one@example.com>");
        PGPPublicKey encryption = OpenPgpKeyMaterial.encryptionKey(ring, "test");
        assertThat(encryption.isMasterKey()).isFalse();
        assertThat(encryption.getAlgorithm()).isEqualTo(PublicKeyAlgorithmTags.ECDH);
        assertThat(store.keys.userKey("keys.one@example.com", SharedOpenPgpKeys.NOT_ISSUING).getEncoded())
                .isEqualTo(ring.getEncoded());
        Path file = store.dir.resolve("openpgp/users/keys.one@example.com.asc");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String content = Files.readString(file, StandardCharsets.US_ASCII);
        assertThat(content).startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----\r\n")
                .contains("-----BEGIN VEIL WRAPPED OPENPGP SECRET KEY-----")
                .contains("Key-Id: user:keys.one@example.com");
        // A second process sees the same key.
        OpenPgpKeys other = OpenPgpKeys.open(store.dir, store.masterKey);
        assertThat(other.findUserKey("keys.one@example.com")).isPresent();
        assertThat(other.findUserKey("keys.one@example.com").get().getEncoded()).isEqualTo(ring.getEncoded());
    }

    @Test
    void escrowKeyHasAnOrganisationUserId() throws Exception {
        assertThat(OpenPgpKeyMaterial.userId(store.keys.escrowKey())).isEqualTo("Example Org escrow <escrow@example-org.invalid>");
        assertThat(store.keys.list()).extracting(VeilKeys.KeyInfo::kind).first().isEqualTo("openpgp-escrow");
        // Idempotent.
        String before = store.keys.exportEscrowPublic();
        store.keys.initialise("Example Org", SharedOpenPgpKeys.ISSUING);
        assertThat(store.keys.exportEscrowPublic()).isEqualTo(before);
    }

    @Test
    void refusesAMissingKeyWhenNotIssuing() {
        assertThatThrownBy(() -> store.keys.userKey("nobody@example.com", SharedOpenPgpKeys.NOT_ISSUING))
                .isInstanceOf(KeyMissingException.class).hasMessageContaining("nobody@example.com");
        assertThat(store.keys.hasUserKey("nobody@example.com")).isFalse();
        assertThat(Files.exists(store.dir.resolve("openpgp/users/nobody@example.com.asc"))).isFalse();
    }

    @Test
    void twoProcessesIssuingAtOnceEndUpWithOneKey() throws Exception {
        OpenPgpKeys first = OpenPgpKeys.open(store.dir, store.masterKey);
        OpenPgpKeys second = OpenPgpKeys.open(store.dir, store.masterKey);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<byte[]>> results = new ArrayList<>();
            for (OpenPgpKeys keys : List.of(first, second, first, second)) {
                Callable<byte[]> issue = () -> keys.userKey("race@example.com", SharedOpenPgpKeys.ISSUING).getEncoded();
                results.add(pool.submit(issue));
            }
            byte[] winner = results.get(0).get();
            for (Future<byte[]> result : results) {
                assertThat(result.get()).isEqualTo(winner);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void detectsAWrongMasterKey() throws Exception {
        store.keys.userKey("master@example.com", SharedOpenPgpKeys.ISSUING);

        assertThatThrownBy(() -> OpenPgpKeys.open(store.dir, MasterKey.generate()))
                .isInstanceOf(KeyException.class).hasMessageContaining("master key does not match");
    }

    @Test
    void refusesAKeyFileCopiedToAnotherAddress() throws Exception {
        Path keyDir = work.resolve("keys");
        OpenPgpKeys keys = OpenPgpKeys.open(keyDir, store.masterKey);
        keys.userKey("victim@example.com", SharedOpenPgpKeys.ISSUING);
        Files.copy(keyDir.resolve("openpgp/users/victim@example.com.asc"), keyDir.resolve("openpgp/users/mallory@example.com.asc"));

        assertThatThrownBy(() -> OpenPgpKeys.open(keyDir, store.masterKey).userKey("mallory@example.com", SharedOpenPgpKeys.NOT_ISSUING))
                .isInstanceOf(KeyException.class).hasMessageContaining("mallory@example.com");
    }

    @Test
    void refusesAPublicKeyReplacedInTheFile() throws Exception {
        Path keyDir = work.resolve("keys");
        OpenPgpKeys keys = OpenPgpKeys.open(keyDir, store.masterKey);
        keys.userKey("swap@example.com", SharedOpenPgpKeys.ISSUING);
        String theirs = store.keys.exportPublic(store.keys.userKey("keys.two@example.com", SharedOpenPgpKeys.ISSUING)
                .getPublicKey().getUserIDs().next().replaceAll("[<>]", ""));
        Path file = keyDir.resolve("openpgp/users/swap@example.com.asc");
        String content = Files.readString(file, StandardCharsets.US_ASCII);
        String wrapped = content.substring(content.indexOf("-----BEGIN VEIL"));
        Files.delete(file);
        Files.writeString(file, theirs + wrapped, StandardCharsets.US_ASCII);

        assertThatThrownBy(() -> OpenPgpKeys.open(keyDir, store.masterKey).userKey("swap@example.com", SharedOpenPgpKeys.NOT_ISSUING))
                .isInstanceOf(KeyException.class);
    }

    @Test
    void rsaKeysAreV4Rsa() throws Exception {
        Path keyDir = work.resolve("keys");
        OpenPgpKeys keys = OpenPgpKeys.open(keyDir, store.masterKey);

        PGPPublicKeyRing ring = keys.userKey("rsa@example.com", SharedOpenPgpKeys.settings("rsa-2048", true));

        assertThat(ring.getPublicKey().getVersion()).isEqualTo(4);
        assertThat(ring.getPublicKey().getAlgorithm()).isEqualTo(PublicKeyAlgorithmTags.RSA_GENERAL);
        assertThat(ring.getPublicKey().getBitStrength()).isEqualTo(2048);
        assertThat(OpenPgpKeyMaterial.encryptionKey(ring, "test").isMasterKey()).isFalse();
        assertThatThrownBy(() -> keys.userKey("x@example.com", SharedOpenPgpKeys.settings("dsa-1024", true)))
                .isInstanceOf(KeyException.class).hasMessageContaining("dsa-1024");
    }

    @Test
    void gpgImportsTheExportsAndSeesS2k254() throws Exception {
        store.keys.userKey("export@example.com", SharedOpenPgpKeys.ISSUING);
        Files.writeString(work.resolve("public.asc"), store.keys.exportPublic("export@example.com"));
        store.keys.exportSecret("export@example.com", Gpg.PASSPHRASE.toCharArray(), work.resolve("secret.asc"));

        assertThat(Files.getPosixFilePermissions(work.resolve("secret.asc"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String packets = new String(gpg.run(work, "--list-packets", "secret.asc"), StandardCharsets.UTF_8);
        assertThat(packets).contains("iter+salt S2K, algo: 9, SHA1 protection, hash: 8").doesNotContain("version 6")
                .doesNotContain("unprotected");
        gpg.run(work, "--import", "public.asc");
        gpg.run(work, "--import", "secret.asc");
        String listed = new String(gpg.run(work, "--with-colons", "--list-secret-keys", "export@example.com"), StandardCharsets.UTF_8);
        String fingerprint = OpenPgpKeys.fingerprint(store.keys.userKey("export@example.com", SharedOpenPgpKeys.NOT_ISSUING).getPublicKey());
        assertThat(listed).contains("fpr:::::::::" + fingerprint.toUpperCase() + ":").contains("<export@example.com>");
        assertThatThrownBy(() -> store.keys.exportSecret("export@example.com", new char[0], work.resolve("x.asc")))
                .isInstanceOf(KeyException.class);
    }
}
