package dev.veil.crypto;

import java.time.Instant;
import java.util.List;

/**
 * What {@link ExternalKeys#importFile} did with one key found in a file.
 *
 * @param status      imported, updated (a newer copy of a stored OpenPGP key merged into it), revoked (the same, and
 *                    the key is revoked now), already present (a no-op), or refused
 * @param format      S/MIME or OpenPGP
 * @param fingerprint as in {@link ExternalKey#fingerprint()}
 * @param addresses   the addresses the key is (now) stored under; for a refused key those it names, maybe none
 * @param subject     subject DN or primary user id, to tell refused keys apart
 * @param notAfter    end of validity, null if none
 * @param reason      why it was refused; null otherwise
 */
public record ImportedKey(Status status, ExternalKey.Format format, String fingerprint, List<String> addresses,
                          String subject, Instant notAfter, String reason) {
    public ImportedKey {
        addresses = List.copyOf(addresses);
    }

    public enum Status {
        IMPORTED("imported"), UPDATED("updated"), REVOKED("revoked"), ALREADY_PRESENT("already present"), REFUSED("refused");

        public final String label;

        Status(String label) {
            this.label = label;
        }
    }

    /** Whether the key is in the store now (imported by this call or before). */
    public boolean stored() {
        return status != Status.REFUSED;
    }

    /** Whether this call changed the store: a new key, or a stored one updated or revoked. */
    public boolean changed() {
        return status == Status.IMPORTED || status == Status.UPDATED || status == Status.REVOKED;
    }
}
