package dev.veil.gateway.core;

import dev.veil.config.Direction;
import java.time.Instant;

/**
 * One row of the spool table: a message's envelope, state and retry bookkeeping.
 *
 * @param direction which listener took the message: inbound mail goes to {@code upstream.*}, outbound mail to
 *                  {@code outbound.relay.*}
 */
public record SpoolEntry(
        QueueId id,
        Direction direction,
        Envelope envelope,
        long size,
        SpoolState state,
        int attempts,
        Instant receivedAt,
        Instant nextAttemptAt,
        String lastError) {
}
