package dev.veil.crypto;

import java.util.List;

/** What a seal did: the fingerprints (SHA-256 of the certificates, hex) of the keys it encrypted to. */
public record SealReport(List<String> keyFingerprints) {
    public SealReport {
        keyFingerprints = List.copyOf(keyFingerprints);
    }
}
