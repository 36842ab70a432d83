package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.config.PolicyLoader;
import dev.veil.tests.support.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil check [config.yml]} as an admin runs it before a restart: config.yml, the policy it names, the policy
 * against the pipelines and the settings the server refuses, with exit 0 only when the server would start and relay;
 * nothing is written in the data directory.
 */
class CheckCommandLineTest {
    @TempDir
    Path dir;

    private Tools.Result veil(String... args) {
        return Tools.veil(dir, List.of(), args);
    }

    /** A config.yml on a data directory that does not exist yet, naming {@code policy.yml} in the test directory. */
    private Path config(String more) throws Exception {
        Path config = dir.resolve("config.yml");
        Files.writeString(config, "dataDir: " + dir.resolve("veil-data") + "\npolicyFile: " + dir.resolve("policy.yml")
                + "\n" + more);
        return config;
    }

    private void policy(String yaml) throws Exception {
        Files.writeString(dir.resolve("policy.yml"), yaml);
    }

    @Test
    void aConfigAndPolicyTheServerRunsAreOkWarningsAreShownAndNothingIsWritten() throws Exception {
        Path config = config("");
        policy(PolicyLoader.exampleYaml().replace("cipher: aes-256-gcm", "cipher: aes-256-cbc"));
        Tools.Result result = veil("check", config.toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output())
                .containsPattern("policy\\.yml:\\d+:\\d+: warning: aes-256-cbc")
                .contains(dir.resolve("policy.yml") + ": ok, 1 warning(s)")
                .contains("Configuration is OK")
                .contains(config + " and " + dir.resolve("policy.yml")
                        + " are OK: 1 rule(s), the pipelines cover them");
        assertThat(dir.resolve("veil-data")).doesNotExist();
    }

    @Test
    void noPolicyFileYetChecksTheExampleTheServerWouldWriteAndWritesNothing() throws Exception {
        Path config = dir.resolve("config.yml");
        Files.writeString(config, "dataDir: " + dir.resolve("veil-data") + "\n");
        Tools.Result result = veil("check", config.toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains(dir.resolve("veil-data").resolve("policy.yml")
                + ": no such file; the server writes the example policy there at its first start");
        assertThat(result.output()).contains("are OK: 1 rule(s)");
        assertThat(dir.resolve("veil-data")).doesNotExist();
    }

    @Test
    void aPolicyWithASyntaxErrorFailsWithItsFileAndLine() throws Exception {
        Path config = config("");
        policy("version: 1\norganisation: Example Ltd\ndomains: [example.com\nrules: []\n");
        Tools.Result result = veil("check", config.toString());
        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output())
                .containsPattern("policy\\.yml:4:\\d+: error: YAML syntax")
                .contains(dir.resolve("policy.yml") + ": 1 error(s), 0 warning(s); the policy would be refused")
                .contains("are not OK: the server would refuse the policy")
                .doesNotContain("Configuration is OK").doesNotContain("are OK:");
    }

    @Test
    void aPolicyWithASemanticErrorFailsWithItsFileAndLine() throws Exception {
        Path config = config("");
        policy(PolicyLoader.exampleYaml().replace("to: [recipient, escrow]", "to: [recipient, board-key]"));
        Tools.Result result = veil("check", config.toString());
        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output())
                .containsPattern("policy\\.yml:\\d+:\\d+: error: no key named 'board-key'")
                .contains("are not OK: the server would refuse the policy")
                .doesNotContain("are OK:");
    }

    @Test
    void aRuleWhosePipelineLacksItsStepFailsNamingTheRuleAndTheStep() throws Exception {
        Path config = config("queue:\n  pipeline: [reject, skip-encrypted, pass, relay]\n");
        policy(PolicyLoader.exampleYaml());
        Tools.Result result = veil("check", config.toString());
        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output())
                .contains(dir.resolve("policy.yml") + ": ok, 0 warning(s)") // the policy alone is fine
                .containsPattern("policy and pipeline: rule 'protect-example' \\(line \\d+\\) encrypts inbound mail,"
                        + " but queue.pipeline has no 'encrypt' step: such mail is deferred and never relayed")
                .contains("are not OK: 1 rule/step gap(s) (such mail waits for ever)")
                .doesNotContain("are OK:");
    }

    @Test
    void theExamplesPseudonymiseInstructionsGiveAPolicyThePipelinesCover() throws Exception {
        Path config = config("");
        policy(CorrespondentsEndToEndTest.POLICY); // the example as its comments say: direction and pseudonymise
        Tools.Result result = veil("check", config.toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("are OK: 1 rule(s), the pipelines cover them");

        // without the direction the rule also pseudonymises outbound mail, which the outbound pipeline cannot do
        policy(CorrespondentsEndToEndTest.POLICY.replace("      direction: inbound\n", ""));
        Tools.Result undirected = veil("check", config.toString());
        assertThat(undirected.exitCode()).as(undirected.output()).isEqualTo(1);
        assertThat(undirected.output()).containsPattern("rule 'protect-example' \\(line \\d+\\) pseudonymises outbound"
                + " mail, but outbound.pipeline has no 'pseudonymise' step");
    }

    @Test
    void aSettingTheServerWouldNotStartWithFails() throws Exception {
        Path config = config("queue:\n  pipeline: [reject, authenticate, encrypt, pass, arc-seal, relay]\n");
        policy(PolicyLoader.exampleYaml());
        Tools.Result result = veil("check", config.toString());
        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output())
                .contains(config + ": a pipeline has arc-seal but arc.domain is empty")
                .contains("are not OK: 1 setting(s) the server would not start with")
                .doesNotContain("are OK:");

        Files.writeString(config, Files.readString(config) + "arc:\n  domain: example.com\n");
        Tools.Result fixed = veil("check", config.toString());
        assertThat(fixed.exitCode()).as(fixed.output()).isZero();
    }

    @Test
    void aConfigErrorIsReportedAsDropwizardDoesBeforeAnyPolicyIsRead() throws Exception {
        Path config = config("queue:\n  workers: 0\n");
        policy("not: [a policy\n");
        Tools.Result result = veil("check", config.toString());
        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output())
                .contains(config + " has an error:")
                .contains("* queue.workers must be greater than or equal to 1")
                .doesNotContain("policy.yml").doesNotContain("Exception");
    }
}
