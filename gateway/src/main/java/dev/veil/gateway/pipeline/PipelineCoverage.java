package dev.veil.gateway.pipeline;

import dev.veil.config.Action;
import dev.veil.config.Direction;
import dev.veil.config.Policy;
import dev.veil.config.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the policy asks of a pipeline that the pipeline has no step for: a rule that encrypts or pseudonymises mail of
 * a direction whose pipeline ({@code queue.pipeline} inbound, {@code outbound.pipeline} outbound) lacks
 * {@code encrypt} or {@code pseudonymise}. The relay step fails closed on such mail, so it is never relayed in plain
 * or with real addresses, but it waits for ever: the policy file and the pipeline are each valid alone, and only
 * together say that. The policy health check reports these gaps, and the server logs them when it starts.
 */
public final class PipelineCoverage {
    private PipelineCoverage() {
    }

    /**
     * @param pipelines each direction's step names (a direction without an entry is not checked)
     * @return one sentence per rule and missing step; empty when every rule can be carried out
     */
    public static List<String> gaps(Policy policy, Map<Direction, List<String>> pipelines) {
        List<String> gaps = new ArrayList<>();
        for (Rule rule : policy.rules()) {
            for (Direction direction : Direction.values()) {
                Direction only = rule.match().direction();
                List<String> steps = pipelines.get(direction);
                if (only != null && only != direction || steps == null) {
                    continue;
                }
                if (rule.action() instanceof Action.Encrypt && !steps.contains("encrypt")) {
                    gaps.add(gap(rule, "encrypts", direction, "encrypt"));
                }
                if (rule.pseudonymise().filter(Action.Pseudonymise::correspondents).isPresent()
                        && !steps.contains("pseudonymise")) {
                    gaps.add(gap(rule, "pseudonymises", direction, "pseudonymise"));
                }
            }
        }
        return gaps;
    }

    private static String gap(Rule rule, String verb, Direction direction, String step) {
        String setting = direction == Direction.INBOUND ? "queue.pipeline" : "outbound.pipeline";
        return "rule '" + rule.name() + "' (line " + rule.line() + ") " + verb + " " + direction.name().toLowerCase()
                + " mail, but " + setting + " has no '" + step + "' step: such mail is deferred and never relayed";
    }
}
