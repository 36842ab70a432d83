package dev.veil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExamplePolicyTest {

    @Test
    void exampleLoadsWithoutErrorsOrWarnings() {
        PolicyLoad load = PolicyLoader.parse("policy.yml", PolicyLoader.exampleYaml());
        assertThat(load.problems()).isEmpty();
        assertThat(load.policy()).isPresent();
    }

    @Test
    void exampleEncryptsEverythingForExampleComWithSmimeToRecipientAndEscrow() {
        Policy policy = PolicyLoader.parse("policy.yml", PolicyLoader.exampleYaml()).policy().orElseThrow();
        assertThat(policy.protects("example.com")).isTrue();
        assertThat(policy.onError()).isEqualTo(OnError.DEFER);
        assertThat(policy.keys().escrow()).isTrue();
        assertThat(policy.keys().smimeAlgorithm()).isEqualTo("rsa-3072");
        assertThat(policy.keys().issueUserCertificates()).isTrue();
        Decision d = policy.decide(Direction.INBOUND, "bob@partner.org", "Alice@Example.COM").orElseThrow();
        assertThat(d.action()).isEqualTo(new Action.Encrypt(Action.Format.SMIME, java.util.List.of("recipient", "escrow"),
                ContentCipher.AES_256_GCM, "[encrypted]"));
        assertThat(d.rule().name()).isEqualTo("protect-example");
    }

    @Test
    void bouncesWithTheNullSenderAreDecidedLikeAnyOtherMail() {
        Policy policy = PolicyLoader.parse("policy.yml", PolicyLoader.exampleYaml()).policy().orElseThrow();
        assertThat(policy.decide(Direction.INBOUND, null, "alice@example.com")).isPresent();
        assertThat(policy.decide(Direction.INBOUND, "", "alice@example.com")).isPresent();
        assertThat(policy.decide(Direction.INBOUND, "<>", "<alice@example.com>")).isPresent();
    }

    @Test
    void loadedFileKnowsItsNameAndTheHashOfItsBytes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("policy.yml");
        Files.writeString(file, PolicyLoader.exampleYaml());
        Policy policy = PolicyLoader.load(file).policy().orElseThrow();
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(PolicyLoader.exampleYaml().getBytes(StandardCharsets.UTF_8)));
        assertThat(policy.source()).isEqualTo("policy.yml");
        assertThat(policy.contentHash()).isEqualTo(expected);
    }

    @Test
    void aMissingFileIsAProblemNotAnException(@TempDir Path dir) {
        PolicyLoad load = PolicyLoader.load(dir.resolve("nope.yml"));
        assertThat(load.hasErrors()).isTrue();
        assertThat(load.problems().get(0).format()).startsWith("nope.yml:1:1: error: cannot read the policy file");
    }
}
