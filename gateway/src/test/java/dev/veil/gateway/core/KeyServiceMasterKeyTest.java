package dev.veil.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.Action;
import dev.veil.config.KeySettings;
import dev.veil.crypto.MasterKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The master key is generated on a first start only, never over a key store whose key is missing. */
class KeyServiceMasterKeyTest {
    private static final KeySettings PGP = new KeySettings(true, "rsa-3072", true, List.of(Action.Format.OPENPGP),
            "ed25519", "Veil organisation CA", KeySettings.DEFAULT_CA_VALIDITY, KeySettings.DEFAULT_ROTATION,
            Optional.empty(), Map.of());

    @TempDir
    Path dataDir;

    @Test
    void aFirstStartCreatesTheMasterKeyFile() {
        assertThat(KeyService.masterKey(dataDir, Map.of())).isNotNull();
        assertThat(dataDir.resolve("master.key")).exists();
    }

    @Test
    void noNewMasterKeyIsGeneratedWhenTheKeysExistAndTheirKeyIsMissing() throws Exception {
        KeyService.openOpenPgpKeys(dataDir, Map.of()).initialise("Example Ltd", PGP);
        Files.delete(dataDir.resolve("master.key")); // lost, or VEIL_MASTER_KEY not passed to this process

        assertThatThrownBy(() -> KeyService.masterKey(dataDir, Map.of()))
                .hasMessageContaining("no master key").hasMessageContaining("VEIL_MASTER_KEY")
                .hasMessageContaining("restore master.key");
        assertThat(dataDir.resolve("master.key")).doesNotExist();
        // the server: keys unavailable (mail waits), and still no key file written
        assertThat(KeyService.start(dataDir, Map.of(), () -> null).problem()).contains("no master key");
        assertThat(dataDir.resolve("master.key")).doesNotExist();
        // the variable still works
        assertThat(KeyService.masterKey(dataDir, Map.of(MasterKey.ENV_VARIABLE, MasterKey.generate().toBase64())))
                .isNotNull();
    }

    /**
     * A running server opens its keys again once the master key is back (a black-box probe restored master.key, and
     * every message waited until a restart), and its health check says so when the file is removed under it (the
     * probe's stayed green while new keys were wrapped under a key only memory held).
     */
    @Test
    void aRestoredMasterKeyIsTakenUpAndARemovedOneIsReported() throws Exception {
        KeyService.openOpenPgpKeys(dataDir, Map.of()).initialise("Example Ltd", PGP);
        Path file = dataDir.resolve("master.key");
        Path backup = dataDir.resolve("master.key.bak");
        Files.move(file, backup);

        KeyService service = KeyService.start(dataDir, Map.of(), () -> null);
        assertThat(service.problem()).contains("no master key");
        Files.move(backup, file);
        assertThat(service.problem()).as("within the retry interval, the last answer").contains("no master key");
        service.retryNow();
        assertThat(service.problem()).isNull();
        assertThat(service.pseudonymiser()).isNotNull();
        assertThat(service.healthProblem()).isNull();

        Files.move(file, backup);
        assertThat(service.healthProblem()).contains("master.key was removed while Veil runs")
                .contains("restore it from its backup");
        assertThat(service.problem()).as("the keys in memory still work").isNull();
    }
}
