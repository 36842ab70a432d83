package dev.veil.gateway.health;

import com.codahale.metrics.health.HealthCheck;
import java.util.function.Supplier;

/**
 * Keys must be loaded with the right master key; without them every message waits (fail closed). A user key file or a
 * named key of the policy in force that cannot be used is reported too: mail needing it waits or is quarantined.
 */
public final class KeysHealthCheck extends HealthCheck {
    private final Supplier<String> problem;

    public KeysHealthCheck(Supplier<String> problem) {
        this.problem = problem;
    }

    @Override
    protected Result check() {
        String p = problem.get();
        return p == null ? Result.healthy() : Result.unhealthy(p);
    }
}
