package dev.veil.tests.support;

import dev.veil.config.PolicyLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * One set of gateway keys (master key, organisation CA, escrow) for the whole test run: RSA-3072 key generation
 * takes seconds, so it is done once, by the real {@code veil keys} command, and copied into each data directory.
 */
public final class TestKeys {
    private static Path template;

    private TestKeys() {
    }

    public static synchronized Path template() {
        if (template == null) {
            try {
                Path dir = Files.createTempDirectory("veil-keys-template");
                Files.writeString(dir.resolve("policy.yml"), PolicyLoader.exampleYaml());
                GatewayProcess.fresh(dir).command("keys", "list");
                template = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return template;
    }

    /** Copies the template's keys, master key and example policy into {@code dataDir}. */
    public static void seed(Path dataDir) {
        Path from = template();
        try {
            Files.createDirectories(dataDir);
            copyTree(from.resolve("keys"), dataDir.resolve("keys"));
            Files.copy(from.resolve("master.key"), dataDir.resolve("master.key"), StandardCopyOption.REPLACE_EXISTING);
            if (!Files.exists(dataDir.resolve("policy.yml"))) {
                Files.copy(from.resolve("policy.yml"), dataDir.resolve("policy.yml"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String masterKey() {
        try {
            return Files.readString(template().resolve("master.key")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
