package dev.veil.gateway.smtp;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Failed logins per client across sessions ({@code outbound.maxAuthFailuresPerClient} in
 * {@code outbound.authFailureWindow}): the third failure ends a session, but a client that simply connected again
 * could guess on for ever (20 sessions at a time), each guess costing Veil an Argon2id hash. Once a client has failed
 * that often within the window, its AUTH commands are refused unread until the window that began with its first
 * failure has passed, the right password included, so that guessing on tells it nothing. As Postfix's
 * {@code smtpd_client_event_limit_exceptions}, the networks that may send without logging in are exempt; an IPv6
 * client is counted by its /64, which one host usually holds whole.
 */
final class AuthFailures {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AuthFailures.class);
    /** Above this many clients, those whose window has passed are dropped, so a wide scan does not grow the map for ever. */
    static final int PRUNE_ABOVE = 10_000;

    private record Window(long startNanos, int failures) {
    }

    private final int max;
    private final long windowNanos;
    private final Predicate<InetAddress> exempt;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Window> clients = new ConcurrentHashMap<>();

    AuthFailures(int max, Duration window, Predicate<InetAddress> exempt) {
        this(max, window, exempt, System::nanoTime);
    }

    AuthFailures(int max, Duration window, Predicate<InetAddress> exempt, LongSupplier nanoTime) {
        this.max = max;
        this.windowNanos = window.toNanos();
        this.exempt = exempt;
        this.nanoTime = nanoTime;
    }

    /** Whether {@code client} has failed too often to be let try again now. */
    boolean blocked(InetAddress client) {
        String key = key(client);
        if (key == null) {
            return false;
        }
        Window window = clients.get(key);
        return window != null && !expired(window, nanoTime.getAsLong()) && window.failures() >= max;
    }

    /** Counts one failed login of {@code client}. */
    void failed(InetAddress client) {
        String key = key(client);
        if (key == null) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (clients.size() > PRUNE_ABOVE) {
            clients.values().removeIf(w -> expired(w, now));
        }
        Window counted = clients.compute(key, (k, w) -> w == null || expired(w, now) ? new Window(now, 1)
                : new Window(w.startNanos(), w.failures() + 1));
        if (counted.failures() == max) {
            LOG.warn("AUTH: {} failed logins from {} within {} s: its AUTH commands get 421 for the rest of that time",
                    max, key, windowNanos / 1_000_000_000L);
        }
    }

    private boolean expired(Window window, long now) {
        return now - window.startNanos() >= windowNanos;
    }

    /** What a client is counted under, or null when it is exempt. */
    private String key(InetAddress client) {
        return client == null || exempt.test(client) ? null : Networks.clientKey(client);
    }

    /** How many clients are remembered now (tests). */
    int rememberedClients() {
        return clients.size();
    }
}
