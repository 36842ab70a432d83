package dev.veil.gateway.cli;

import dev.veil.crypto.KeyException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * The failures a command expects — a key problem, a file that cannot be read or written, a bad argument — as the one
 * line an admin is shown instead of a stack trace. Anything else is a bug and keeps its trace.
 */
final class CliErrors {
    private CliErrors() {
    }

    static boolean expected(Throwable e) {
        return e instanceof KeyException || e instanceof IOException || e instanceof UncheckedIOException
                || e instanceof IllegalArgumentException;
    }

    /** Java's file exceptions carry only the path as their message: say what went wrong with it. */
    static String message(Throwable e) {
        Throwable cause = e instanceof UncheckedIOException unchecked ? unchecked.getCause() : e;
        if (cause instanceof NoSuchFileException f) {
            return "no such file or directory: " + f.getFile();
        }
        if (cause instanceof AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        if (cause instanceof FileAlreadyExistsException f) {
            return "already exists: " + f.getFile();
        }
        if (cause instanceof FileSystemException f && f.getReason() != null) {
            return f.getFile() + ": " + f.getReason();
        }
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }
}
