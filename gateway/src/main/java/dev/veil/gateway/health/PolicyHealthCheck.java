package dev.veil.gateway.health;

import com.codahale.metrics.health.HealthCheck;
import dev.veil.config.Direction;
import dev.veil.config.Problem;
import dev.veil.gateway.core.PolicyHolder;
import dev.veil.gateway.pipeline.PipelineCoverage;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A policy must be in force; errors in the file on disk are shown here even while the last good one runs. A policy
 * whose rules need a step the pipelines lack ({@link PipelineCoverage}) is unhealthy too: its mail would wait.
 */
public final class PolicyHealthCheck extends HealthCheck {
    private final PolicyHolder policies;
    private final Map<Direction, List<String>> pipelines;

    /** @param pipelines each direction's step names, checked against the rules in force */
    public PolicyHealthCheck(PolicyHolder policies, Map<Direction, List<String>> pipelines) {
        this.policies = policies;
        this.pipelines = Map.copyOf(pipelines);
    }

    @Override
    protected Result check() {
        String errors = policies.lastProblems().stream()
                .filter(p -> p.severity() == Problem.Severity.ERROR)
                .map(Problem::format)
                .collect(Collectors.joining("; "));
        if (policies.get() == null) {
            return Result.unhealthy("no policy in force: " + errors);
        }
        if (!errors.isEmpty()) {
            return Result.unhealthy("policy file has errors; previous version "
                    + policies.get().contentHash().substring(0, 12) + " stays in force: " + errors);
        }
        List<String> gaps = PipelineCoverage.gaps(policies.get(), pipelines);
        if (!gaps.isEmpty()) {
            return Result.unhealthy("version " + policies.get().contentHash().substring(0, 12)
                    + " needs steps the pipelines lack: " + String.join("; ", gaps));
        }
        return Result.healthy("version " + policies.get().contentHash().substring(0, 12));
    }
}
