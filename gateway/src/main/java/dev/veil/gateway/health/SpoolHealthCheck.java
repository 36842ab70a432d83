package dev.veil.gateway.health;

import com.codahale.metrics.health.HealthCheck;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The spool directories must be writable, or no mail can be accepted; and their file system must have room for a
 * message of the largest size taken in (Postfix's {@code queue_minfree} idea): on a full disk every message gets 451,
 * which the check said nothing of (a black-box probe's showed healthy at 0 bytes free).
 */
public final class SpoolHealthCheck extends HealthCheck {
    private final Path incoming;
    private final Path queue;
    private final long minFreeBytes;

    public SpoolHealthCheck(Path incoming, Path queue) {
        this(incoming, queue, 0);
    }

    public SpoolHealthCheck(Path incoming, Path queue, long minFreeBytes) {
        this.incoming = incoming;
        this.queue = queue;
        this.minFreeBytes = minFreeBytes;
    }

    @Override
    protected Result check() throws Exception {
        for (Path dir : new Path[] {incoming, queue}) {
            Path probe = Files.createTempFile(dir, "health", ".tmp");
            Files.delete(probe);
        }
        long free = Files.getFileStore(queue).getUsableSpace();
        if (free < minFreeBytes) {
            return Result.unhealthy("only " + free / 1024 + " KiB free on the spool's file system, less than one message"
                    + " of smtp.maxMessageSize (" + minFreeBytes / 1024 + " KiB): mail that does not fit is refused with 451");
        }
        return Result.healthy();
    }
}
