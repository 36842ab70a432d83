package dev.veil.gateway.health;

import com.codahale.metrics.health.HealthCheck;
import dev.veil.gateway.relay.Upstream;

/** Can the upstream be reached now (TCP connect to the smart host, or a writable directory)? */
public final class UpstreamHealthCheck extends HealthCheck {
    private final Upstream upstream;

    public UpstreamHealthCheck(Upstream upstream) {
        this.upstream = upstream;
    }

    @Override
    protected Result check() {
        try {
            upstream.probe();
            return Result.healthy(upstream.describe());
        } catch (Exception e) {
            return Result.unhealthy(upstream.describe() + ": " + e.getMessage());
        }
    }
}
