package dev.veil.gateway.graph;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before retrying a throttled or failed Graph request: Graph's {@code Retry-After} when it gives one
 * (seconds or an HTTP date, as Graph documents), else exponential back-off with full jitter, bounded by
 * {@code graph.maxBackoff} either way, so one misbehaving answer cannot stall a sweep for hours.
 */
public record Backoff(Duration initial, Duration max) {

    public Duration delay(int attempt, Optional<String> retryAfter) {
        Optional<Duration> asked = retryAfter.flatMap(Backoff::parseRetryAfter);
        if (asked.isPresent()) {
            return min(asked.get(), max);
        }
        long ceiling = initial.toMillis() << Math.min(attempt, 20);
        long bounded = Math.min(Math.max(ceiling, 1), max.toMillis());
        // full jitter: many Veil workers throttled at the same moment do not come back at the same moment
        return Duration.ofMillis(bounded / 2 + ThreadLocalRandom.current().nextLong(bounded / 2 + 1));
    }

    static Optional<Duration> parseRetryAfter(String value) {
        String v = value.strip();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (RuntimeException notDate) {
                return Optional.empty();
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
