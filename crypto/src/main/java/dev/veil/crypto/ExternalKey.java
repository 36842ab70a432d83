package dev.veil.crypto;

import java.time.Instant;
import java.util.List;

/**
 * An external recipient's public key in {@link ExternalKeys}, as shown to admins: never more than public data.
 *
 * @param format        S/MIME certificate or OpenPGP key
 * @param fingerprint   S/MIME: SHA-256 of the certificate; OpenPGP: the primary key's fingerprint (v4: 40 hex
 *                      digits, v6: 64); lower-case hex
 * @param addresses     the addresses the key is stored under (normalised), sorted
 * @param subject       S/MIME: subject DN; OpenPGP: the primary user id
 * @param issuer        S/MIME: issuer DN; OpenPGP: null
 * @param notBefore     S/MIME: start of validity; OpenPGP: creation time of the primary key
 * @param notAfter      end of validity; null for an OpenPGP key without expiry
 * @param algorithm     e.g. "RSA 3072" or "EdDSA primary, ECDH encryption subkey"
 * @param encryptionKey OpenPGP: fingerprint of the (sub)key mail is encrypted to; S/MIME: null
 * @param version       OpenPGP: the key version, 4 or 6 (RFC 9580); S/MIME: null
 */
public record ExternalKey(Format format, String fingerprint, List<String> addresses, String subject, String issuer,
                          Instant notBefore, Instant notAfter, String algorithm, String encryptionKey, Integer version) {
    public ExternalKey {
        addresses = List.copyOf(addresses);
    }

    /** The kind of external key; {@link #label} is what the CLI prints and accepts. */
    public enum Format {
        SMIME("smime"), OPENPGP("openpgp");

        public final String label;

        Format(String label) {
            this.label = label;
        }
    }
}
