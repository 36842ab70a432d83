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

    /** Refuses to make a new escrow key where one was made before; call when the key file is missing. */
    static void checkNoneWasMade(Path escrowFile) throws KeyException {
        Path record = of(escrowFile);
        if (!Files.exists(record)) {
            return;
        }
        String fingerprint;
        try {
            fingerprint = Files.readString(record, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            fingerprint = "(unreadable: " + e.getMessage() + ")";
        }
        throw new KeyException(escrowFile.toAbsolutePath() + " is missing, but an escrow key was made here (fingerprint "
                + fingerprint + "): restore that file from its backup. No new escrow key is made over a lost one; to"
                + " make a new one deliberately, delete " + record.toAbsolutePath());
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
