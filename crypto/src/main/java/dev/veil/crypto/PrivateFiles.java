package dev.veil.crypto;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Files only their owner may read (0600 from creation, never briefly world-readable), published whole: for exports of
 * real data outside the key store, such as a mailbox's real contacts. A failed write leaves no temporary file behind
 * and the previous file, if any, untouched.
 */
public final class PrivateFiles {
    private PrivateFiles() {
    }

    /** Writes {@code content} to {@code target} (replacing it) with owner-only permissions. */
    public static void replace(Path target, byte[] content) throws IOException {
        AtomicFiles.replace(target, content, AtomicFiles.OWNER_ONLY);
    }
}
