package dev.veil.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Whole-file writes that another process never sees half done: write a temporary file in the same
 * directory (created with its final permissions, so secrets are never world-readable even briefly),
 * fsync it, then publish it by link (no overwrite) or rename (overwrite), and fsync the directory.
 */
final class AtomicFiles {
    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> PUBLIC_READ = PosixFilePermissions.fromString("rw-r--r--");
    static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private AtomicFiles() {
    }

    /**
     * Publishes {@code content} at {@code target} unless a file is already there.
     *
     * @return true if this call created the file, false if it already existed (its content is left alone)
     */
    static boolean createIfAbsent(Path target, byte[] content, Set<PosixFilePermission> permissions) throws IOException {
        if (Files.exists(target)) {
            return false;
        }
        Path temp = writeTemp(target, content, permissions);
        try {
            // link(2) refuses to replace an existing name, which rename(2) would do silently.
            Files.createLink(target, temp);
        } catch (FileAlreadyExistsException raced) {
            return false;
        } catch (UnsupportedOperationException | IOException noHardLinks) {
            if (Files.exists(target)) {
                return false;
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        syncDirectory(target.toAbsolutePath().getParent());
        return true;
    }

    /** Publishes {@code content} at {@code target}, replacing any file there. */
    static void replace(Path target, byte[] content, Set<PosixFilePermission> permissions) throws IOException {
        Path temp = writeTemp(target, content, permissions);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /** Creates a directory (and parents) with the given permissions if it does not exist. */
    static void createDirectories(Path dir, Set<PosixFilePermission> permissions) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (isPosix(dir.toAbsolutePath().getParent())) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(permissions));
        } else {
            Files.createDirectories(dir);
        }
    }

    private static Path writeTemp(Path target, byte[] content, Set<PosixFilePermission> permissions) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = isPosix(dir)
                ? Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp",
                        new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)})
                : Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return temp;
    }

    /** Makes the new directory entry itself durable; best effort where the platform cannot open directories. */
    static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not possible on some platforms (Windows); the file content itself is already synced.
        }
    }

    static boolean isPosix(Path dir) {
        return dir != null && Files.getFileAttributeView(dir, java.nio.file.attribute.PosixFileAttributeView.class) != null;
    }
}
