package dev.veil.crypto;

import java.time.Instant;
import java.util.Optional;

/**
 * The name of a key that was replaced (rotated) or revoked: it no longer encrypts anything, but it stays, in
 * {@code retired/}, so that mail already in Exchange can still be decrypted, until the policy's
 * {@code keep-old-keys} says otherwise. The name records whose key it was, when it was retired and why, so the
 * directory listing alone says what is there: {@code <owner file name>~<epoch seconds>~<fingerprint prefix>~<rotated|revoked><suffix>}.
 *
 * @param owner       the file name the key had while current, without suffix (an encoded address, or "escrow")
 * @param fingerprint the first 16 hex digits of the key's fingerprint
 */
record RetiredKey(String owner, Instant retiredAt, String fingerprint, boolean revoked) {

    String fileName(String suffix) {
        return owner + "~" + retiredAt.getEpochSecond() + "~" + fingerprint + "~" + (revoked ? "revoked" : "rotated") + suffix;
    }

    static RetiredKey of(String ownerFileName, String suffix, String fingerprint, Instant when, boolean revoked) {
        String owner = ownerFileName.endsWith(suffix) ? ownerFileName.substring(0, ownerFileName.length() - suffix.length())
                : ownerFileName;
        return new RetiredKey(owner, Instant.ofEpochSecond(when.getEpochSecond()),
                fingerprint.substring(0, Math.min(16, fingerprint.length())), revoked);
    }

    /** Parses a retired key's file name; empty for anything else. */
    static Optional<RetiredKey> parse(String fileName, String suffix) {
        if (!fileName.endsWith(suffix) || fileName.startsWith(".")) {
            return Optional.empty();
        }
        String[] parts = fileName.substring(0, fileName.length() - suffix.length()).split("~");
        if (parts.length != 4 || !(parts[3].equals("revoked") || parts[3].equals("rotated"))) {
            return Optional.empty();
        }
        try {
            return Optional.of(new RetiredKey(parts[0], Instant.ofEpochSecond(Long.parseLong(parts[1])), parts[2],
                    parts[3].equals("revoked")));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The owner's current file name (to recover the address the entry id is bound to). */
    String ownerFileName(String suffix) {
        return owner + suffix;
    }
}
