package dev.veil.gateway.core;

import io.dropwizard.lifecycle.Managed;
import io.dropwizard.util.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work the server does on a schedule, on one daemon thread of its own: first after {@code initialDelay}, then
 * {@code interval} after each run ends. A run that throws is logged and the schedule goes on (a scheduled executor
 * would otherwise stop calling it for good). Durations are Dropwizard's, so that a log line says "1 day" or "2 minutes"
 * as config.yml does, not "PT24H".
 */
public abstract class PeriodicTask implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(PeriodicTask.class);
    private final String threadName;
    private final Duration initialDelay;
    private final Duration interval;
    private ScheduledExecutorService executor;

    protected PeriodicTask(String threadName, Duration initialDelay, Duration interval) {
        this.threadName = threadName;
        this.initialDelay = initialDelay;
        this.interval = interval;
    }

    /** How long after a run the next one starts, for subclasses' log lines. */
    protected final Duration interval() {
        return interval;
    }

    /** One run. */
    protected abstract void runOnce() throws Exception;

    @Override
    public final void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::runLogged, initialDelay.toMilliseconds(), interval.toMilliseconds(),
                TimeUnit.MILLISECONDS);
    }

    private void runLogged() {
        try {
            runOnce();
        } catch (Exception e) {
            LOG.warn("{} failed (next run in {}): {}", threadName, interval, e.getMessage());
        }
    }

    @Override
    public final void stop() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
