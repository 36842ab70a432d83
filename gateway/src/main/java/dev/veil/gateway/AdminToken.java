package dev.veil.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/** The admin API's bearer token: from config, or from a 0600 file created with a random token on first start. */
public final class AdminToken {
    private AdminToken() {
    }

    public static String resolve(String configured, Path file) throws IOException {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        if (!Files.exists(file)) {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            Path tmp = Files.createTempFile(file.getParent(), "admin", ".token.tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, HexFormat.of().formatHex(random) + "\n");
            Files.move(tmp, file);
        }
        return Files.readString(file).trim();
    }
}
