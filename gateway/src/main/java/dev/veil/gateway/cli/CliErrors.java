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

    /**
     * A command's {@code onError}: an expected failure (a config.yml that is missing or does not parse among them) is
     * its one line on stderr; anything else keeps its stack trace, as Dropwizard prints it.
     */
    static void report(io.dropwizard.core.cli.Cli cli, Throwable e) {
        if (expected(e) || e instanceof io.dropwizard.configuration.ConfigurationException) {
            cli.getStdErr().println(message(e));
        } else {
            e.printStackTrace(cli.getStdErr());
        }
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
