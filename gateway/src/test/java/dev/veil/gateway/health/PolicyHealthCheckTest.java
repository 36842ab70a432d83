package dev.veil.gateway.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.health.HealthCheck;
import dev.veil.config.Direction;
import dev.veil.gateway.core.PolicyHolder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy check is unhealthy when the policy in force needs a step its direction's pipeline lacks. */
class PolicyHealthCheckTest {
    @TempDir
    Path dir;

    @Test
    void healthyWithTheDefaultPipelinesUnhealthyWhenEncryptIsMissing() throws Exception {
        PolicyHolder policies = new PolicyHolder(dir.resolve("policy.yml"));
        policies.writeExampleIfMissing();
        assertThat(policies.reload()).isTrue();
        List<String> outbound = List.of("restore-correspondents", "reject", "skip-encrypted", "encrypt", "pass", "relay");

        HealthCheck.Result fine = new PolicyHealthCheck(policies, Map.of(
                Direction.INBOUND, List.of("reject", "skip-encrypted", "pseudonymise", "encrypt", "pass", "relay"),
                Direction.OUTBOUND, outbound)).execute();
        assertThat(fine.isHealthy()).as(fine.getMessage()).isTrue();

        HealthCheck.Result gap = new PolicyHealthCheck(policies, Map.of(
                Direction.INBOUND, List.of("reject", "pass", "relay"), Direction.OUTBOUND, outbound)).execute();
        assertThat(gap.isHealthy()).isFalse();
        assertThat(gap.getMessage()).contains("needs steps the pipelines lack",
                "rule 'protect-example'", "queue.pipeline has no 'encrypt' step");
    }
}
