package dev.veil.gateway.health;

import com.codahale.metrics.health.HealthCheck;
import dev.veil.config.Problem;
import dev.veil.gateway.core.PolicyHolder;
import java.util.stream.Collectors;

/** A policy must be in force; errors in the file on disk are shown here even while the last good one runs. */
public final class PolicyHealthCheck extends HealthCheck {
    private final PolicyHolder policies;

    public PolicyHealthCheck(PolicyHolder policies) {
        this.policies = policies;
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
        return Result.healthy("version " + policies.get().contentHash().substring(0, 12));
    }
}
