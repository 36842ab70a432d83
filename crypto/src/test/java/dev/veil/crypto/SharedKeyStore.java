package dev.veil.crypto;

import dev.veil.config.KeySettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One key store for the whole test run: RSA-3072 key generation takes seconds, so tests share the CA and
 * escrow key (surefire runs all test classes in one JVM) and each test issues users under its own addresses.
 */
final class SharedKeyStore {
    static final KeySettings ISSUING = new KeySettings(true, "rsa-3072", true);
    static final KeySettings NOT_ISSUING = new KeySettings(true, "rsa-3072", false);

    private static SharedKeyStore instance;

    final Path dir;
    final MasterKey masterKey;
    final VeilKeys keys;

    private SharedKeyStore(Path dir, MasterKey masterKey, VeilKeys keys) {
        this.dir = dir;
        this.masterKey = masterKey;
        this.keys = keys;
    }

    static synchronized SharedKeyStore get() throws KeyException {
        if (instance == null) {
            try {
                Path root = Files.createTempDirectory("veil-test-keys");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
                MasterKey masterKey = MasterKey.generate();
                VeilKeys keys = VeilKeys.open(root.resolve("keys"), masterKey);
                keys.initialise("Example Org", ISSUING);
                instance = new SharedKeyStore(root.resolve("keys"), masterKey, keys);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // best effort clean-up of a temp dir
        }
    }
}
