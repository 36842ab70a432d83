package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.config.PolicyLoader;
import dev.veil.tests.support.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil policy check|explain} as an admin runs them: exit codes, located messages, the README's example. */
class PolicyCommandTest {
    @TempDir
    Path dir;

    private Tools.Result veil(String... args) {
        return Tools.veil(dir, List.of("-Ddw.dataDir=" + dir.resolve("veil-data")), args);
    }

    @Test
    void veilCheckRefusesAPipelineTheServerCouldNotRun() throws Exception {
        Path config = dir.resolve("config.yml");
        Files.writeString(config, "queue:\n  pipeline: [reject, encrpyt, relay]\n");
        Tools.Result unknown = veil("check", config.toString());
        assertThat(unknown.exitCode()).as(unknown.output()).isNotZero();
        assertThat(unknown.output()).contains("queue.pipeline: unknown step 'encrpyt'");

        Files.writeString(config, "outbound:\n  pipeline: [restore-correspondents, relay, pass]\n");
        Tools.Result notLast = veil("check", config.toString());
        assertThat(notLast.exitCode()).as(notLast.output()).isNotZero();
        assertThat(notLast.output()).contains("outbound.pipeline: the last step must be 'relay'");

        // arc.domain: a pipeline that seals without it is a setting the server would not start with (CheckCommandLineTest)
        Files.writeString(config, "queue:\n  pipeline: [reject, authenticate, pseudonymise, encrypt, pass, arc-seal, relay]\n"
                + "arc:\n  domain: example.com\n");
        Tools.Result fine = veil("check", config.toString());
        assertThat(fine.exitCode()).as(fine.output()).isZero();
    }

    @Test
    void theReadmeExamplePolicyPassesCheckWithoutWarnings() throws Exception {
        String readme = Files.readString(Path.of("").toAbsolutePath().getParent().resolve("README.md"));
        int start = readme.indexOf("<!-- policy-example:start -->");
        int end = readme.indexOf("<!-- policy-example:end -->");
        assertThat(start).isPositive();
        String block = readme.substring(start, end);
        String yaml = block.substring(block.indexOf("```yaml\n") + 8, block.lastIndexOf("```"));
        Path file = dir.resolve("readme-policy.yml");
        Files.writeString(file, yaml);
        Tools.Result result = veil("policy", "check", file.toString(), "--strict");
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("ok, 0 warning(s)");
    }

    /** Found by a black-box probe: a config.yml that is not there gave Dropwizard's stack trace. */
    @Test
    void aMissingConfigFileIsOneLineNotAStackTrace() throws Exception {
        Path file = dir.resolve("policy.yml");
        Files.writeString(file, PolicyLoader.exampleYaml());
        String missing = dir.resolve("no-such-config.yml").toString();
        for (List<String> command : List.of(List.of("policy", "check", file.toString(), missing),
                List.of("keys", "list", missing))) {
            Tools.Result result = veil(command.toArray(String[]::new));
            assertThat(result.exitCode()).as(command.toString()).isEqualTo(1);
            assertThat(result.output()).as(command.toString()).contains(missing + " not found")
                    .doesNotContain("\tat ").doesNotContain("Exception");
        }
    }

    @Test
    void checkReportsErrorsWithFileLineAndColumnAndExitsOne() throws Exception {
        Path file = dir.resolve("policy.yml");
        Files.writeString(file, PolicyLoader.exampleYaml().replace("    encrypt:\n", "    encrpyt:\n"));
        Tools.Result result = veil("policy", "check", file.toString());
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.output()).containsPattern("policy\\.yml:\\d+:5: error: unknown key 'encrpyt' — did you mean 'encrypt'\\?");
    }

    @Test
    void checkExitsTwoOnWarningsOnlyWhenStrict() throws Exception {
        Path file = dir.resolve("policy.yml");
        Files.writeString(file, PolicyLoader.exampleYaml().replace("cipher: aes-256-gcm", "cipher: aes-256-cbc"));
        Tools.Result lenient = veil("policy", "check", file.toString());
        Tools.Result strict = veil("policy", "check", file.toString(), "--strict");
        assertThat(lenient.exitCode()).isZero();
        assertThat(strict.exitCode()).isEqualTo(2);
        assertThat(strict.output()).containsPattern("policy\\.yml:\\d+:\\d+: warning: aes-256-cbc");
    }

    @Test
    void explainNamesTheMatchingRuleWhyEarlierOnesMissedAndTheKeys() throws Exception {
        String readme = Files.readString(Path.of("").toAbsolutePath().getParent().resolve("README.md"));
        String block = readme.substring(readme.indexOf("<!-- policy-example:start -->"),
                readme.indexOf("<!-- policy-example:end -->"));
        dev.veil.tests.support.TestKeys.seed(dir.resolve("veil-data"));
        Path file = dir.resolve("policy.yml");
        Files.writeString(file, block.substring(block.indexOf("```yaml\n") + 8, block.lastIndexOf("```")));
        Tools.Result result = veil("policy", "explain", file.toString(), "--from", "bob@partner.example",
                "--to", "Alice@Sales.Example.com");
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output())
                .contains("rule 'board'").contains("does not match")
                .contains("rule 'everyone'").contains("matches")
                .contains("encrypt with S/MIME")
                .containsPattern("key escrow: [0-9a-f]{64}");
    }

    /** An already encrypted message: passed on under the example's rule, encrypted again where the rule pseudonymises. */
    @Test
    void explainSaysWhatBecomesOfAnAlreadyEncryptedMessage() throws Exception {
        Path message = dir.resolve("smime.eml");
        Files.writeString(message, "From: bob@partner.example\r\nTo: alice@example.com\r\n"
                + "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\r\n");
        dev.veil.tests.support.TestKeys.seed(dir.resolve("veil-data"));
        Path plain = dir.resolve("policy.yml");
        Files.writeString(plain, PolicyLoader.exampleYaml());
        Tools.Result passed = veil("policy", "explain", plain.toString(), "--message", message.toString());
        assertThat(passed.exitCode()).as(passed.output()).isZero();
        assertThat(passed.output()).contains("already encrypted: an encrypt rule passes it on unchanged");

        Path pseudonymising = dir.resolve("pseudonymising.yml");
        Files.writeString(pseudonymising, CorrespondentsEndToEndTest.POLICY);
        Tools.Result again = veil("policy", "explain", pseudonymising.toString(), "--message", message.toString());
        assertThat(again.exitCode()).as(again.output()).isZero();
        assertThat(again.output()).contains("already encrypted: this rule encrypts it again");
    }

    @Test
    void explainWithAMessageFileThatIsNotThereSaysSoInOneLine() throws Exception {
        Path file = dir.resolve("policy.yml");
        Files.writeString(file, PolicyLoader.exampleYaml());
        Tools.Result result = veil("policy", "explain", file.toString(), "--to", "bob@example.com",
                "--message", dir.resolve("missing.eml").toString());
        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output()).contains("--message " + dir.resolve("missing.eml") + ": no such file or directory")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }
}
