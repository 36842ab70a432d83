package dev.veil.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.config.Direction;
import dev.veil.config.Policy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A policy that encrypts or pseudonymises what a direction's pipeline has no step for is reported, rule by rule. */
class PipelineCoverageTest {
    private static final List<String> INBOUND = List.of("reject", "skip-encrypted", "pseudonymise", "encrypt", "pass",
            "relay");
    private static final List<String> OUTBOUND = List.of("restore-correspondents", "reject", "skip-encrypted", "encrypt",
            "pass", "relay");

    @Test
    void theExamplePolicyFitsTheDefaultPipelines() {
        assertThat(PipelineCoverage.gaps(policy(""), Map.of(Direction.INBOUND, INBOUND, Direction.OUTBOUND, OUTBOUND)))
                .isEmpty();
    }

    @Test
    void anEncryptingRuleNeedsEncryptInEveryDirectionItMatches() {
        List<String> inboundWithoutEncrypt = List.of("reject", "pass", "relay");
        assertThat(PipelineCoverage.gaps(policy(""), Map.of(Direction.INBOUND, inboundWithoutEncrypt,
                Direction.OUTBOUND, OUTBOUND)))
                .containsExactly("rule 'protect-example' (line 121) encrypts inbound mail, but queue.pipeline has no"
                        + " 'encrypt' step: such mail is deferred and never relayed");
        // the example rule has no direction: outbound mail to the business is encrypted too
        assertThat(PipelineCoverage.gaps(policy(""), Map.of(Direction.INBOUND, INBOUND,
                Direction.OUTBOUND, List.of("restore-correspondents", "relay"))))
                .singleElement().asString().contains("encrypts outbound mail", "outbound.pipeline has no 'encrypt'");
    }

    @Test
    void aPseudonymisingRuleNeedsPseudonymiseOnlyInItsDirection() {
        String rule = """
                  - name: hide-partners
                    match:
                      recipient: "*@example.com"
                      direction: inbound
                    pseudonymise:
                      alias-domain: alias.example.net
                    encrypt:
                      format: smime
                      to: [recipient]
                """;
        Map<Direction, List<String>> withoutPseudonymise = Map.of(Direction.INBOUND,
                List.of("reject", "encrypt", "relay"), Direction.OUTBOUND, OUTBOUND);
        assertThat(PipelineCoverage.gaps(policy(rule), withoutPseudonymise)).singleElement().asString()
                .startsWith("rule 'hide-partners' (line ")
                .contains("pseudonymises inbound mail, but queue.pipeline has no 'pseudonymise' step");
        assertThat(PipelineCoverage.gaps(policy(rule), Map.of(Direction.INBOUND, INBOUND, Direction.OUTBOUND, OUTBOUND)))
                .as("outbound has no pseudonymise step, but the rule is inbound only").isEmpty();
    }

    /** The example policy with {@code extraRules} before its rule. */
    private static Policy policy(String extraRules) {
        String yaml = PolicyLoader.exampleYaml()
                .replace("rules:\n  - name: protect-example", "rules:\n" + extraRules + "  - name: protect-example");
        PolicyLoad load = PolicyLoader.parse("policy.yml", yaml);
        assertThat(load.hasErrors()).as("policy problems: %s", load.problems()).isFalse();
        return load.policy().orElseThrow();
    }
}
