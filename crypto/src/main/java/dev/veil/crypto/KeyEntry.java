package dev.veil.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;

/**
 * One key store entry: a certificate (public) and its private key wrapped under the master key.
 * The wrapping's associated data binds the entry id and the certificate fingerprint, so a wrapped key
 * moved to another entry, or paired with another certificate, does not unwrap.
 *
 * @param id          {@code ca}, {@code escrow} or {@code user:<address>}
 * @param fingerprint SHA-256 of the certificate, lower-case hex
 */
record KeyEntry(String id, KeyKind kind, X509Certificate certificate, String fingerprint, byte[] wrappedKey) {

    static String idFor(KeyKind kind, String address) {
        return kind == KeyKind.USER ? "user:" + address : kind.label;
    }

    /** Wraps {@code privateKey} for a new entry. */
    static KeyEntry create(String id, KeyKind kind, X509Certificate certificate, PrivateKey privateKey, MasterKey masterKey) {
        String fingerprint = Fingerprints.sha256(certificate);
        byte[] pkcs8 = privateKey.getEncoded();
        try {
            return new KeyEntry(id, kind, certificate, fingerprint, masterKey.wrap(pkcs8, associatedData(id, fingerprint)));
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    PrivateKey privateKey(MasterKey masterKey) throws KeyException {
        byte[] pkcs8 = masterKey.unwrap(wrappedKey, associatedData(id, fingerprint));
        try {
            return KeyFactory.getInstance(certificate.getPublicKey().getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new KeyException("private key of key entry '" + id + "' is not a valid PKCS#8 key", e);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    /** This entry with its key re-wrapped under the master key's current key, or null if it already is. */
    KeyEntry rewrapped(MasterKey masterKey) throws KeyException {
        byte[] again = masterKey.rewrap(wrappedKey, associatedData(id, fingerprint));
        return again == null ? null : new KeyEntry(id, kind, certificate, fingerprint, again);
    }

    private static byte[] associatedData(String id, String fingerprint) {
        return ("veil-key-entry-v1\0" + id + "\0" + fingerprint).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "KeyEntry[" + id + ", " + fingerprint + "]";
    }
}
