package dev.veil.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.config.Policy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The health check's view of key files: a user key file or an imported key damaged on disk, or a named key file gone
 * after the policy was loaded, makes {@code keys} unhealthy and is named (a black-box probe saw {@code keys} healthy while mail to the
 * damaged key's user waited).
 */
class KeyServiceHealthTest {
    @TempDir
    Path dataDir;

    @Test
    void aDamagedUserKeyFileAndAMissingNamedKeyAreReported() throws Exception {
        String yaml = PolicyLoader.exampleYaml()
                .replace("formats: [smime]", "formats: [smime, openpgp]")
                .replace("  keep-old-keys: forever\n", "  keep-old-keys: forever\n  named:\n    archive:\n"
                        + "      format: smime\n      certificate: keys/archive.pem\n");
        PolicyLoad load = PolicyLoader.parse("policy.yml", yaml);
        assertThat(load.hasErrors()).as("%s", load.problems()).isFalse();
        Policy policy = load.policy().orElseThrow();
        KeyService keys = KeyService.start(dataDir, Map.of(), () -> policy);
        assertThat(keys.problem()).isNull();
        KeyService.openKeys(dataDir, Map.of()).userCertificate("alice@example.com", policy.keys());
        KeyService.openKeys(dataDir, Map.of()).userCertificate("bob@example.com", policy.keys());
        KeyService.openKeys(dataDir, Map.of()).userCertificate("dave@example.com", policy.keys());
        KeyService.openOpenPgpKeys(dataDir, Map.of()).userKey("carol@example.com", policy.keys());
        // the named key's file is there: a certificate for encryption, as an admin would put it (bob's will do)
        String bobs = Files.readString(userFile("keys/users", "bob"));
        String end = "-----END CERTIFICATE-----\n";
        Files.writeString(dataDir.resolve("keys/archive.pem"), bobs.substring(0, bobs.indexOf(end) + end.length()));
        assertThat(keys.healthProblem()).as("every file usable").isNull();

        Path alice = userFile("keys/users", "alice");
        Files.writeString(alice, Files.readString(alice).replace("-----BEGIN CERTIFICATE-----", "-----BEGIN CERT-----"));
        // one character of the wrapped private key changed: it parses, but no longer unwraps
        Path carol = userFile("keys/openpgp/users", "carol");
        Path dave = userFile("keys/users", "dave");
        alterWrappedKey(carol);
        alterWrappedKey(dave);
        Files.delete(dataDir.resolve("keys/archive.pem"));
        // an imported key of an outside recipient, as `veil keys import` names it, whose file was cut short
        Files.writeString(dataDir.resolve("keys/external/smime/erin@partner.example-" + "ab".repeat(32) + ".pem"),
                "-----BEGIN CERTIFICATE-----\nMIIB\n");

        String problem = keys.healthProblem();
        assertThat(problem).contains(alice.getFileName().toString()).contains("is damaged")
                .contains("carol@example.com").contains("dave@example.com")
                .contains("named key 'archive'")
                .contains("external key file").contains("erin@partner.example")
                .doesNotContain("bob");
        assertThat(keys.problem()).as("the keys themselves still load").isNull();
    }

    /**
     * An escrow key file removed while Veil runs: every message to be encrypted waits on it. A black-box probe's waited
     * with "initialise the key store with keys.escrow: true" (it was), and the health check stayed green.
     */
    @Test
    void anEscrowKeyFileRemovedWhileRunningIsReportedWithTheAdviceToRestoreIt() throws Exception {
        String yaml = PolicyLoader.exampleYaml().replace("formats: [smime]", "formats: [smime, openpgp]");
        PolicyLoad load = PolicyLoader.parse("policy.yml", yaml);
        assertThat(load.hasErrors()).as("%s", load.problems()).isFalse();
        Policy policy = load.policy().orElseThrow();
        KeyService keys = KeyService.start(dataDir, Map.of(), () -> policy);
        KeyService.openOpenPgpKeys(dataDir, Map.of()).userKey("carol@example.com", policy.keys()); // makes its escrow
        assertThat(keys.healthProblem()).isNull();

        Files.move(dataDir.resolve("keys/escrow.pem"), dataDir.resolve("escrow.pem.elsewhere"));
        Files.move(dataDir.resolve("keys/openpgp/escrow.asc"), dataDir.resolve("escrow.asc.elsewhere"));

        assertThat(keys.healthProblem()).contains("escrow.pem is missing", "escrow.asc is missing",
                "restore that file from its backup");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KeyService.openKeys(dataDir, Map.of())
                .escrowCertificate()).hasMessageContaining("restore that file from its backup")
                .hasMessageNotContaining("initialise");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KeyService.openOpenPgpKeys(dataDir, Map.of())
                .escrowKey()).hasMessageContaining("restore that file from its backup");

        Files.move(dataDir.resolve("escrow.pem.elsewhere"), dataDir.resolve("keys/escrow.pem"));
        Files.move(dataDir.resolve("escrow.asc.elsewhere"), dataDir.resolve("keys/openpgp/escrow.asc"));
        assertThat(keys.healthProblem()).as("restored").isNull();
    }

    private static void alterWrappedKey(Path file) throws Exception {
        String text = Files.readString(file);
        int end = text.lastIndexOf("-----END");
        int lastLine = text.lastIndexOf('\n', end - 2);
        int at = text.lastIndexOf('\n', lastLine - 1) + 10; // inside the last full line of base64
        char c = text.charAt(at);
        Files.writeString(file, text.substring(0, at) + (c == 'A' ? 'B' : 'A') + text.substring(at + 1));
    }

    private Path userFile(String dir, String name) throws Exception {
        try (Stream<Path> files = Files.list(dataDir.resolve(dir))) {
            // the key file, not the note of its issue beside it (NAME.pem.made)
            List<Path> matching = files.filter(f -> f.getFileName().toString().startsWith(name)
                    && !f.getFileName().toString().endsWith(".made")).toList();
            assertThat(matching).hasSize(1);
            return matching.get(0);
        }
    }
}
