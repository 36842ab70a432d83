package dev.veil.gateway.core;

import io.dropwizard.util.Duration;

/**
 * Keeps the CA's revocation list {@code keys/ca.crl} current: it is otherwise written only by {@code veil keys
 * revoke} and is valid for 30 days, after which relying parties treat it as expired. Checks at start and daily;
 * {@link KeyService#refreshRevocationList} reissues it only once half its validity has passed.
 */
public final class RevocationListRefresher extends PeriodicTask {
    static final Duration INTERVAL = Duration.days(1);
    private final KeyService keys;

    public RevocationListRefresher(KeyService keys) {
        super("veil-crl-refresh", Duration.seconds(0), INTERVAL);
        this.keys = keys;
    }

    @Override
    protected void runOnce() {
        keys.refreshRevocationList();
    }
}
