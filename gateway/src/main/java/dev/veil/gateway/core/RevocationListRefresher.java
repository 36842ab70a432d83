package dev.veil.gateway.core;

import io.dropwizard.lifecycle.Managed;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the CA's revocation list {@code keys/ca.crl} current: it is otherwise written only by {@code veil keys
 * revoke} and is valid for 30 days, after which relying parties treat it as expired. Checks at start and daily;
 * {@link KeyService#refreshRevocationList} reissues it only once half its validity has passed.
 */
public final class RevocationListRefresher implements Managed {
    static final Duration INTERVAL = Duration.ofDays(1);
    private final KeyService keys;
    private ScheduledExecutorService executor;

    public RevocationListRefresher(KeyService keys) {
        this.keys = keys;
    }

    @Override
    public void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "veil-crl-refresh");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(keys::refreshRevocationList, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
