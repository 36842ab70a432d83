package dev.veil.gateway.health;

import com.codahale.metrics.health.HealthCheck;
import java.nio.file.Files;
import java.nio.file.Path;

/** The spool directories must be writable, or no mail can be accepted. */
public final class SpoolHealthCheck extends HealthCheck {
    private final Path incoming;
    private final Path queue;

    public SpoolHealthCheck(Path incoming, Path queue) {
        this.incoming = incoming;
        this.queue = queue;
    }

    @Override
    protected Result check() throws Exception {
        for (Path dir : new Path[] {incoming, queue}) {
            Path probe = Files.createTempFile(dir, "health", ".tmp");
            Files.delete(probe);
        }
        return Result.healthy();
    }
}
