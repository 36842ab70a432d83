package dev.veil.crypto;

import dev.veil.config.Action;
import dev.veil.config.KeySettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One OpenPGP key store for the whole test run (Ed25519 keys, fast to make), with an escrow key; each test
 * class issues users under its own addresses.
 */
final class SharedOpenPgpKeys {
    static final KeySettings ISSUING = settings("ed25519", true);
    static final KeySettings NOT_ISSUING = settings("ed25519", false);

    private static SharedOpenPgpKeys instance;

    final Path dir;
    final MasterKey masterKey;
    final OpenPgpKeys keys;

    private SharedOpenPgpKeys(Path dir, MasterKey masterKey, OpenPgpKeys keys) {
        this.dir = dir;
        this.masterKey = masterKey;
        this.keys = keys;
    }

    static synchronized SharedOpenPgpKeys get() throws KeyException {
        if (instance == null) {
            try {
                Path root = Files.createTempDirectory("veil-test-pgp-keys");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> SharedKeyStore.deleteTree(root)));
                MasterKey masterKey = MasterKey.generate();
                OpenPgpKeys keys = OpenPgpKeys.open(root.resolve("keys"), masterKey);
                keys.initialise("Example Org", ISSUING);
                instance = new SharedOpenPgpKeys(root.resolve("keys"), masterKey, keys);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    static KeySettings settings(String openpgpAlgorithm, boolean issue) {
        return new KeySettings(true, "rsa-3072", issue, List.of(Action.Format.OPENPGP), openpgpAlgorithm,
                "Example CA", KeySettings.DEFAULT_CA_VALIDITY, KeySettings.DEFAULT_ROTATION, Optional.empty(), Map.of());
    }
}
