package dev.veil.gateway.core;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Directories only Veil's own user may enter ({@code rwx------}): queued and quarantined mail, bounce notices, the
 * database and what a directory upstream holds are plaintext, and files in them are created with the process umask
 * (often 022, readable by everyone). Closing the directory closes every file below it, whatever its own mode, as
 * Postfix does with its queue directories.
 */
public final class PrivateDirectories {
    private static final Logger LOG = LoggerFactory.getLogger(PrivateDirectories.class);
    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private PrivateDirectories() {
    }

    /** Creates {@code dir} (and missing parents, with default modes) and makes it owner-only. */
    public static Path create(Path dir) throws IOException {
        Files.createDirectories(dir);
        restrict(dir);
        return dir;
    }

    /** Makes an existing directory owner-only; on a file system without POSIX modes, nothing changes. */
    public static void restrict(Path dir) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        if (view.readAttributes().permissions().equals(OWNER_ONLY)) {
            return;
        }
        try {
            view.setPermissions(OWNER_ONLY);
        } catch (FileSystemException e) {
            // a directory someone else owns: say so, and go on (the admin chose it)
            LOG.warn("cannot make {} private to Veil's user (mode rwx------): {}", dir, e.getMessage());
        }
    }
}
