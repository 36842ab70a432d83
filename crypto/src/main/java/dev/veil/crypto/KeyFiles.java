package dev.veil.crypto;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** File chores both key stores ({@link VeilKeys}, {@link OpenPgpKeys}) share: listing, change detection, retention. */
final class KeyFiles {
    private KeyFiles() {
    }

    /** The files in {@code directory} ending in {@code suffix}, sorted; none if the directory does not exist. */
    static List<Path> list(Path directory, String suffix) throws KeyException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*" + suffix)) {
            stream.forEach(files::add);
        } catch (NoSuchFileException e) {
            return files;
        } catch (IOException e) {
            throw new KeyException("cannot list " + directory.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        files.sort(null);
        return files;
    }

    /** The file's modification time (what the caches compare), or null if there is no such file. */
    static FileTime modified(Path file) throws KeyException {
        try {
            return Files.getLastModifiedTime(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new KeyException("cannot read key file " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** Whether something that began at {@code since} is older than {@code period} now (a zero period: never). */
    static boolean olderThan(Instant since, Period period, Instant now) {
        if (period == null || period.isZero() || period.isNegative()) {
            return false;
        }
        return since.atZone(ZoneOffset.UTC).plus(period).toInstant().isBefore(now);
    }

    /** Deletes the retired keys in {@code retiredDir} retired longer ago than {@code keep} (empty: forever, none). */
    static void pruneRetired(Path retiredDir, String suffix, Optional<Period> keep, Instant now) throws KeyException {
        if (keep == null || keep.isEmpty()) {
            return;
        }
        for (Path file : list(retiredDir, suffix)) {
            Optional<RetiredKey> name = RetiredKey.parse(file.getFileName().toString(), suffix);
            if (name.isPresent() && olderThan(name.get().retiredAt(), keep.get(), now)) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    throw new KeyException("cannot delete the expired old key " + file + ": " + e.getMessage(), e);
                }
            }
        }
    }
}
