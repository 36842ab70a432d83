package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeyTest {
    @TempDir
    Path dir;

    @Test
    void generatesAnOwnerOnlyKeyFileOnFirstStartAndWarnsToBackItUp() throws Exception {
        Path file = dir.resolve("data/master.key");
        List<String> warnings = new ArrayList<>();

        MasterKey first = MasterKey.load(Map.of(), file, warnings::add);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Base64.getDecoder().decode(Files.readString(file).strip())).hasSize(32);
        assertThat(warnings).singleElement().asString().contains(file.toString()).contains("Back it up").contains("VEIL_MASTER_KEY");

        List<String> secondWarnings = new ArrayList<>();
        MasterKey second = MasterKey.load(Map.of(), file, secondWarnings::add);
        assertThat(secondWarnings).isEmpty();
        assertThat(second.unwrap(first.wrap(bytes("k"), bytes("ad")), bytes("ad"))).isEqualTo(bytes("k"));
    }

    @Test
    void prefersTheEnvironmentVariableOverTheFile() throws Exception {
        MasterKey key = MasterKey.generate();
        Path file = dir.resolve("master.key");

        MasterKey loaded = MasterKey.load(Map.of("VEIL_MASTER_KEY", key.toBase64()), file, w -> { });

        assertThat(file).doesNotExist();
        assertThat(loaded.unwrap(key.wrap(bytes("k"), bytes("ad")), bytes("ad"))).isEqualTo(bytes("k"));
    }

    @Test
    void explainsAnInvalidEnvironmentVariable() {
        assertThatThrownBy(() -> MasterKey.load(Map.of("VEIL_MASTER_KEY", "c2hvcnQ="), dir.resolve("m"), w -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("VEIL_MASTER_KEY decodes to 5 bytes, expected 32");
        assertThatThrownBy(() -> MasterKey.load(Map.of("VEIL_MASTER_KEY", "not base64!"), dir.resolve("m"), w -> { }))
                .hasMessageContaining("VEIL_MASTER_KEY is not valid base64");
    }

    @Test
    void warnsWhenOthersCanReadTheKeyFile() throws Exception {
        Path file = dir.resolve("master.key");
        Files.writeString(file, MasterKey.generate().toBase64());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> warnings = new ArrayList<>();

        MasterKey.load(Map.of(), file, warnings::add);

        assertThat(warnings).singleElement().asString().contains("chmod 600");
    }

    @Test
    void refusesToUnwrapWithAnotherKeyOrOtherAssociatedData() {
        MasterKey key = MasterKey.generate();
        byte[] wrapped = key.wrap(bytes("secret"), bytes("user:alice@example.com"));

        assertThatThrownBy(() -> key.unwrap(wrapped, bytes("user:bob@example.com"))).isInstanceOf(KeyException.class);
        assertThatThrownBy(() -> MasterKey.generate().unwrap(wrapped, bytes("user:alice@example.com")))
                .isInstanceOf(KeyException.class);
    }

    @Test
    void neverShowsTheKeyInToString() {
        MasterKey key = MasterKey.generate();
        assertThat(key.toString()).doesNotContain(key.toBase64()).contains("redacted");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
