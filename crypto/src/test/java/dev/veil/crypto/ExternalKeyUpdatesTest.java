package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.crypto.ImportedKey.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partner's key changes after it was imported — revoked, expiry extended, a new encryption subkey — and the admin
 * imports gpg's new export (or the bare revocation certificate): the stored copy must follow, as in gpg's keyring.
 */
class ExternalKeyUpdatesTest {
    static final String GINA = "pgp-gina@example.com";

    @TempDir
    Path work;
    Gpg gpg;
    ExternalKeys external;
    String fingerprint;

    @BeforeEach
    void ginaKey() throws Exception {
        gpg = new Gpg(work.resolve("gpg-home"));
        external = ExternalKeys.open(work.resolve("keys"));
    }

    @AfterEach
    void stopGpg() {
        gpg.close();
    }

    @Test
    void aRevokedCopyReplacesTheStoredOneAndARunningServerStopsEncryptingToIt() throws Exception {
        generate("never");
        ExternalKeys server = ExternalKeys.open(work.resolve("keys"));
        assertThat(importExport("gina.asc")).isEqualTo(Status.IMPORTED);
        assertThat(server.openPgpKey(GINA)).isPresent();

        gpg.run(work, "--import", revocationCertificate().toString());
        assertThat(importExport("gina2.asc")).isEqualTo(Status.REVOKED);

        // the server process has its own cache: it must see the replaced file, and fail closed
        assertThatThrownBy(() -> server.openPgpKey(GINA)).isInstanceOf(KeyMissingException.class)
                .hasMessageContaining("revoked");
        assertThat(importExport("gina3.asc")).isEqualTo(Status.ALREADY_PRESENT);
        // what is stored is what gpg now holds: gpg reads it back as revoked
        Path stored = work.resolve("keys/external/openpgp/" + GINA + "-" + fingerprint + ".asc");
        try (Gpg other = new Gpg(work.resolve("other-home"))) {
            other.run(work, "--import", stored.toString());
            assertThat(new String(other.run(work, "--with-colons", "--list-keys", GINA))).contains("\npub:r:");
        }
    }

    @Test
    void aBareRevocationCertificateRevokesTheStoredKey() throws Exception {
        generate("never");
        assertThat(importExport("gina.asc")).isEqualTo(Status.IMPORTED);

        List<ImportedKey> results = external.importFile(revocationCertificate());

        assertThat(results).singleElement().satisfies(k -> {
            assertThat(k.status()).isEqualTo(Status.REVOKED);
            assertThat(k.fingerprint()).isEqualTo(fingerprint);
            assertThat(k.addresses()).containsExactly(GINA);
        });
        assertThatThrownBy(() -> external.openPgpKey(GINA)).isInstanceOf(KeyMissingException.class)
                .hasMessageContaining("revoked");
        assertThat(external.importFile(revocationCertificate())).singleElement().extracting(ImportedKey::status)
                .isEqualTo(Status.ALREADY_PRESENT);
    }

    @Test
    void aRevocationCertificateForAnotherKeyIsRefused() throws Exception {
        generate("never");
        Path revocation = revocationCertificate();

        assertThat(external.importFile(revocation)).singleElement().satisfies(k -> {
            assertThat(k.status()).isEqualTo(Status.REFUSED);
            assertThat(k.reason()).contains("not stored");
        });
    }

    @Test
    void anExtendedExpiryReplacesTheExpiredCopy() throws Exception {
        generate("seconds=4");
        assertThat(importExport("gina.asc")).isEqualTo(Status.IMPORTED);
        Thread.sleep(5000);
        assertThatThrownBy(() -> external.openPgpKey(GINA)).isInstanceOf(KeyMissingException.class);

        gpg.run(work, "--quick-set-expire", fingerprint, "1y");
        gpg.run(work, "--quick-set-expire", fingerprint, "1y", "*");

        assertThat(importExport("gina2.asc")).isEqualTo(Status.UPDATED);
        assertThat(external.openPgpKey(GINA)).isPresent();
        assertThat(external.show(GINA)).singleElement().satisfies(k -> assertThat(k.notAfter()).isNotNull());
    }

    @Test
    void aNewEncryptionSubkeyIsUsedAndAnOlderExportChangesNothing() throws Exception {
        generate("never");
        assertThat(importExport("gina.asc")).isEqualTo(Status.IMPORTED);
        String oldSubkey = external.show(GINA).get(0).encryptionKey();
        Thread.sleep(1100); // OpenPGP creation times have one-second resolution; the newest subkey wins

        gpg.run(work, "--quick-add-key", fingerprint, "cv25519", "encr", "never");

        assertThat(importExport("gina2.asc")).isEqualTo(Status.UPDATED);
        String newSubkey = external.show(GINA).get(0).encryptionKey();
        assertThat(newSubkey).isNotEqualTo(oldSubkey);
        assertThat(new String(gpg.run(work, "--with-colons", "--fingerprint", "--fingerprint", GINA)))
                .containsIgnoringCase("fpr:::::::::" + newSubkey + ":");
        // the first export lacks the subkey: importing it again must not take the subkey away
        assertThat(external.importFile(work.resolve("gina.asc"))).singleElement().extracting(ImportedKey::status)
                .isEqualTo(Status.ALREADY_PRESENT);
        assertThat(external.show(GINA).get(0).encryptionKey()).isEqualTo(newSubkey);
    }

    @Test
    void aForgedRevocationIsNotMerged() throws Exception {
        generate("never");
        assertThat(importExport("gina.asc")).isEqualTo(Status.IMPORTED);
        PGPPublicKeyRing ring = external.openPgpKey(GINA).orElseThrow();
        // a key revocation that another key made: it does not verify against her key
        PGPPublicKeyRing foreign = OpenPgpKeyMaterial.revoked(OpenPgpKeyMaterial.generate(
                OpenPgpKeyMaterial.Algorithm.ED25519, "Mallory <mallory@example.com>"));
        PGPSignature forged = foreign.getPublicKey().getSignaturesOfType(PGPSignature.KEY_REVOCATION).next();

        assertThat(OpenPgpKeyMerge.applyRevocation(ring, forged)).isNull();
        PGPPublicKeyRing tampered = PGPPublicKeyRing.insertPublicKey(ring,
                org.bouncycastle.openpgp.PGPPublicKey.addCertification(ring.getPublicKey(), forged));
        assertThat(OpenPgpKeyMerge.merge(ring, tampered)).isSameAs(ring);
    }

    /** A new ed25519/cv25519 key for Gina in gpg, with this expiry for the primary key. */
    private void generate(String expiry) throws Exception {
        gpg.run(work, "--quick-gen-key", "Gina <" + GINA + ">", "future-default", "default", expiry);
        String colons = new String(gpg.run(work, "--with-colons", "--fingerprint", GINA), StandardCharsets.UTF_8);
        fingerprint = colons.lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9]
                .toLowerCase(java.util.Locale.ROOT);
    }

    /** Exports Gina's key from gpg as it is now and imports it into Veil. */
    private Status importExport(String file) throws Exception {
        gpg.run(work, "--armor", "--yes", "--output", file, "--export", GINA);
        List<ImportedKey> results = external.importFile(work.resolve(file));
        assertThat(results).singleElement().satisfies(k -> assertThat(k.fingerprint()).isEqualTo(fingerprint));
        return results.get(0).status();
    }

    /**
     * The revocation certificate gpg made with the key: a bare key revocation signature, as {@code gpg --gen-revoke}
     * writes (the armor line is prefixed with a colon so it is not imported by accident).
     */
    private Path revocationCertificate() throws Exception {
        Path stored = gpg.home.resolve("openpgp-revocs.d").resolve(fingerprint.toUpperCase(java.util.Locale.ROOT) + ".rev");
        Path revocation = work.resolve("gina.rev");
        Files.writeString(revocation, Files.readString(stored).replace(":-----BEGIN PGP", "-----BEGIN PGP"));
        return revocation;
    }
}
