package dev.veil.crypto;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** A private key with the certificate it belongs to, for decrypting. Handle in memory only. */
public record DecryptionKey(X509Certificate certificate, PrivateKey privateKey) {
    @Override
    public String toString() {
        return "DecryptionKey[" + certificate.getSubjectX500Principal() + ", private key redacted]";
    }
}
