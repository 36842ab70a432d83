package dev.veil.gateway.core;

import java.time.Instant;

/** One row of the spool table: a message's envelope, state and retry bookkeeping. */
public record SpoolEntry(
        QueueId id,
        Envelope envelope,
        long size,
        SpoolState state,
        int attempts,
        Instant receivedAt,
        Instant nextAttemptAt,
        String lastError) {
}
