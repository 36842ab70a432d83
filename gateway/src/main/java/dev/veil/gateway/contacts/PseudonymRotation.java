package dev.veil.gateway.contacts;

import dev.veil.crypto.KeyException;
import dev.veil.crypto.PseudonymKeys;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A pseudonym key rotation as a resumable job: a marker file in the key directory says a rotation is under way (and
 * from which version), so that a run that was killed part-way is finished by the next run instead of rotating again.
 * The marker is written before the keys rotate and removed only when every vault row and every sealed contact is
 * under the new version.
 */
public final class PseudonymRotation {
    /** In the key directory: {@code from <version>}. */
    public static final String MARKER = "pseudonym-rotation.pending";

    private final PseudonymKeys keys;
    private final Path marker;

    /** @param start the version the rotation ends at, and whether it finishes one an earlier run began */
    public record Start(int version, boolean resumed) {
    }

    public PseudonymRotation(PseudonymKeys keys, Path keyDirectory) {
        this.keys = keys;
        this.marker = keyDirectory.resolve(MARKER);
    }

    /** Rotates the keys, unless an interrupted rotation is pending: then that one goes on (rotating only if it had not yet). */
    public Start begin() throws KeyException, IOException {
        if (Files.exists(marker)) {
            int from = pendingFrom();
            return new Start(keys.currentVersion() > from ? keys.currentVersion() : keys.rotate(), true);
        }
        writeMarker(keys.currentVersion());
        return new Start(keys.rotate(), false);
    }

    /** Whether a rotation is under way (begun and not finished). */
    public boolean pending() {
        return Files.exists(marker);
    }

    /** Everything is under the new version: the rotation is over. */
    public void finish() throws IOException {
        Files.deleteIfExists(marker);
    }

    private int pendingFrom() throws IOException {
        String text = Files.readString(marker, StandardCharsets.US_ASCII).strip();
        try {
            return Integer.parseInt(text.substring(text.indexOf(' ') + 1));
        } catch (RuntimeException e) {
            throw new IOException(marker + " is damaged (\"" + text + "\", expected \"from <version>\"): delete it and"
                    + " run the rotation again (a new rotation re-seals everything under the version it makes)", e);
        }
    }

    private void writeMarker(int from) throws IOException {
        Path tmp = marker.resolveSibling(MARKER + ".tmp");
        Files.writeString(tmp, "from " + from + "\n", StandardCharsets.US_ASCII);
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(marker.getParent(), StandardOpenOption.READ)) {
            dir.force(true); // the marker survives a crash that the rotated keys survive
        }
    }
}
