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
}
