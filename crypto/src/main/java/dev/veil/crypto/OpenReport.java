package dev.veil.crypto;

/**
 * What an open did.
 *
 * @param keyFingerprint    fingerprint (hex) of the key that decrypted the message: the certificate's SHA-256, or the
 *                          OpenPGP (sub)key's
 * @param listedFingerprint the fingerprint {@code veil keys list} shows for that key: the certificate's, or the
 *                          OpenPGP primary key's (an encryption subkey is not listed on its own)
 * @param contentAlgorithm  the content encryption, e.g. {@code AES-256-GCM}, or its OID if Veil has no name for it
 */
public record OpenReport(String keyFingerprint, String listedFingerprint, String contentAlgorithm) {
    /** An open whose key is listed under its own fingerprint (S/MIME). */
    public OpenReport(String keyFingerprint, String contentAlgorithm) {
        this(keyFingerprint, keyFingerprint, contentAlgorithm);
    }
}
