package dev.veil.gateway.health;

import com.codahale.metrics.health.HealthCheck;
import java.util.function.Supplier;

/** Keys must be loaded with the right master key; without them every message waits (fail closed). */
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
