package dev.veil.crypto;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Why each user key file of a key store cannot be used (damaged, replaced, renamed), one line per file, for the health
 * check: an admin hears of a broken file before mail to its user waits for it. Each file is read whole and its private
 * key unwrapped (the wrapping binds it to its certificate or public key) and dropped, once per change of the file.
 *
 * @param <E> the store's entry type
 */
final class UserKeyAudit<E> {
    /** Reads a user's entry as the store uses it (its checks included); null when the file is gone. */
    interface Load<E> {
        E load(String address) throws KeyException;
    }

    /** Unwraps an entry's private key and drops it; throws when it does not unwrap. */
    interface Unwrap<E> {
        void unwrap(E entry) throws KeyException;
    }

    private final Path usersDir;
    private final String glob;
    private final Function<Path, String> addressOf;
    /** When each user's file was last found whole: its modification time then. */
    private final ConcurrentHashMap<String, FileTime> verified = new ConcurrentHashMap<>();

    /** @param addressOf a file's user, or null for a file that is not a user's */
    UserKeyAudit(Path usersDir, String glob, Function<Path, String> addressOf) {
        this.usersDir = usersDir;
        this.glob = glob;
        this.addressOf = addressOf;
    }

    List<String> problems(Load<E> load, Unwrap<E> unwrap) {
        List<String> problems = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(usersDir, glob)) {
            for (Path file : files) {
                String address = addressOf.apply(file);
                if (address == null) {
                    continue;
                }
                try {
                    FileTime modified = KeyFiles.modified(file);
                    E entry = load.load(address);
                    if (entry != null && modified != null && !modified.equals(verified.get(address))) {
                        try {
                            unwrap.unwrap(entry);
                        } catch (KeyException e) {
                            throw new KeyException("key file " + file.toAbsolutePath() + ": its private key does not"
                                    + " unwrap (" + e.getMessage() + ") — restore it from backup", e);
                        }
                        verified.put(address, modified);
                    }
                } catch (KeyException | RuntimeException e) {
                    problems.add(e.getMessage());
                }
            }
        } catch (NoSuchFileException e) {
            return problems;
        } catch (IOException e) {
            problems.add("cannot list " + usersDir.toAbsolutePath() + ": " + e.getMessage());
        }
        // a key Veil issued whose file is gone (deleted, renamed): its user's mail waits for it (EscrowRecord)
        try (DirectoryStream<Path> notes = Files.newDirectoryStream(usersDir, glob + ".made")) {
            for (Path note : notes) {
                String name = note.getFileName().toString();
                Path file = note.resolveSibling(name.substring(0, name.length() - ".made".length()));
                String address = addressOf.apply(file);
                if (address != null && !Files.exists(file)) {
                    problems.add("key file " + file.toAbsolutePath() + " of " + address + " is missing, but Veil issued"
                            + " that key: mail to " + address + " waits — restore the file from its backup");
                }
            }
        } catch (IOException e) {
            problems.add("cannot list " + usersDir.toAbsolutePath() + ": " + e.getMessage());
        }
        return problems;
    }
}
