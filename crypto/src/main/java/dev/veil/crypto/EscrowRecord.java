package dev.veil.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A note beside an escrow key file saying that an escrow key was made here, and which ({@code escrow.pem.made}: its
 * fingerprint). An escrow key file that is gone while its note is still there was lost — a partial restore, a deleted
 * file — and a new one must not be made over it in silence: mail would go on to a key whose private half the
 * organisation's offline backup does not hold (a black-box probe deleted {@code keys/escrow.pem}, and the next start
 * made a new escrow key without a word). Escrow that a policy turns on later has no note, and gets its key.
 */
final class EscrowRecord {
    private EscrowRecord() {
    }

    static Path of(Path escrowFile) {
        return escrowFile.resolveSibling(escrowFile.getFileName() + ".made");
    }

    /** The fingerprint a note holds, or why it cannot be read: for a message that names it. */
    private static String notedOrWhyNot(Path record) {
        try {
            return Files.readString(record, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** Refuses to make a new escrow key where one was made before; call when the key file is missing. */
    static void checkNoneWasMade(Path escrowFile) throws KeyException {
        java.util.Optional<String> lost = lost(escrowFile);
        if (lost.isPresent()) {
            throw new KeyException(lost.get());
        }
    }

    /**
     * What to say of an escrow key file that is gone while its note is there (restore it: a new key is not made over
     * it), or empty when the file is there or none was ever made. Also for a file removed while Veil runs: a
     * black-box probe's mail then waited with "initialise the key store with keys.escrow: true", which it was.
     */
    static java.util.Optional<String> lost(Path escrowFile) {
        Path record = of(escrowFile);
        if (Files.exists(escrowFile) || !Files.exists(record)) {
            return java.util.Optional.empty();
        }
        String fingerprint = notedOrWhyNot(record);
        return java.util.Optional.of(escrowFile.toAbsolutePath() + " is missing, but an escrow key was made here"
                + " (fingerprint " + fingerprint + "): restore that file from its backup. No new escrow key is made over"
                + " a lost one; to make a new one deliberately, delete " + record.toAbsolutePath());
    }

    /**
     * Refuses to issue a user a new key where Veil issued one before and its file is gone ({@code FILE.made} beside
     * it, as for the escrow key): the user's mail program holds the old key, so mail to a silently issued new one could
     * be read only with the escrow key. A black-box probe deleted and renamed user key files, and the next message
     * went to a fresh key, the health check still green. Call when the user's key file is missing.
     *
     * @param format {@code smime} or {@code openpgp}, for the command that issues a new key deliberately
     */
    static void checkNoneWasIssued(Path userFile, String address, String format) throws KeyException {
        Path record = of(userFile);
        if (!Files.exists(record)) {
            return;
        }
        String fingerprint = notedOrWhyNot(record);
        throw new KeyMissingException(userFile.toAbsolutePath() + " is missing, but Veil issued " + address + " a key"
                + " (fingerprint " + fingerprint + "), which their mail program holds: restore that file from its"
                + " backup. To issue a new key instead, run: veil keys rotate " + address + " --format " + format);
    }

    /**
     * Checks that the key in a user's file is the one Veil issued the user last ({@code FILE.made}); a file without
     * a note gets one when {@code backfill} (a key issued before notes were kept). A black-box probe restored a revoked
     * key's file from its backup, and mail went to the revoked key, the health check green.
     */
    static void checkNoted(Path userFile, String address, String fingerprint, String format, boolean backfill)
            throws KeyException {
        Path record = of(userFile);
        String noted;
        try {
            noted = Files.exists(record) ? Files.readString(record, StandardCharsets.US_ASCII).strip() : null;
        } catch (IOException e) {
            throw new KeyException("cannot read " + record.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        if (noted == null) {
            if (backfill) {
                write(userFile, fingerprint);
            }
            return;
        }
        if (!noted.equals(fingerprint)) {
            throw new KeyException(userFile.toAbsolutePath() + " holds key " + fingerprint + ", but the key Veil issued "
                    + address + " last is " + noted + " — the file was replaced (a revoked or older key restored from"
                    + " a backup?): restore the current key's file, or issue a new key: veil keys rotate " + address
                    + " --format " + format);
        }
    }

    /** Notes that the escrow key with {@code fingerprint} is the one in {@code escrowFile}. */
    static void write(Path escrowFile, String fingerprint) throws KeyException {
        Path record = of(escrowFile);
        try {
            if (!Files.exists(record) || !Files.readString(record, StandardCharsets.US_ASCII).strip().equals(fingerprint)) {
                AtomicFiles.replace(record, (fingerprint + "\n").getBytes(StandardCharsets.US_ASCII),
                        AtomicFiles.OWNER_ONLY);
            }
        } catch (IOException e) {
            throw new KeyException("cannot write " + record.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }
}
