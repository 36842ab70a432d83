package dev.veil.crypto;

/**
 * What an open did.
 *
 * @param keyFingerprint   SHA-256 fingerprint (hex) of the certificate whose private key decrypted the message
 * @param contentAlgorithm the content encryption, e.g. {@code AES-256-GCM}, or its OID if Veil has no name for it
 */
public record OpenReport(String keyFingerprint, String contentAlgorithm) {
}
