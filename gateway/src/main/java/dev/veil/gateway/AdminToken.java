package dev.veil.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The admin API's bearer token: from config, or from a 0600 file created with a random token on first start. A file
 * that holds no token (emptied by hand) stops the start with a one-line error: the server would otherwise run with an
 * admin API nobody can use, and say nothing.
 */
public final class AdminToken {
    private AdminToken() {
    }

    public static String resolve(String configured, Path file) throws IOException {
        if (configured != null && !configured.isBlank()) {
            return usable(configured.trim(), "adminToken in the config");
        }
        if (!Files.exists(file)) {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            Path tmp = Files.createTempFile(file.getParent(), "admin", ".token.tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, HexFormat.of().formatHex(random) + "\n");
            Files.move(tmp, file);
        }
        return read(file);
    }

    /**
     * The token in an existing file; {@code veil check} reads it too, writing nothing.
     *
     * @throws IllegalStateException when the file holds no usable token (the server does not start)
     */
    public static String read(Path file) throws IOException {
        String token = Files.readString(file).trim();
        if (token.isEmpty() || token.chars().anyMatch(c -> c <= ' ' || c > '~')) {
            throw new IllegalStateException(file + " holds no usable admin token (" + (token.isEmpty() ? "it is empty"
                    : "it has spaces or non-ASCII characters") + "): delete it and Veil writes a new random one, or"
                    + " set adminToken in the config");
        }
        return usable(token, file.toString());
    }

    /** The shortest token taken: the API can reach keys and mail, so a short one is a guess away (a probe's "a" was). */
    static final int MIN_LENGTH = 16;

    /** {@code token}, or an {@link IllegalStateException} naming {@code where} when it is too short or unprintable. */
    public static String usable(String token, String where) {
        if (token.chars().anyMatch(c -> c <= ' ' || c > '~')) {
            throw new IllegalStateException(where + " holds no usable admin token (it has spaces or non-ASCII"
                    + " characters)");
        }
        if (token.length() < MIN_LENGTH) {
            throw new IllegalStateException(where + ": the admin token has " + token.length() + " characters, at least "
                    + MIN_LENGTH + " are needed (e.g. openssl rand -hex 24); or leave adminToken empty and Veil writes a"
                    + " random one to dataDir/admin.token");
        }
        return token;
    }
}
