package dev.veil.gateway.relay;

import dev.veil.gateway.core.QueueId;
import java.util.List;

/** Where finished messages go: Exchange Online's smart host, or a directory. */
public interface Upstream extends AutoCloseable {
    /**
     * Delivers the message to every recipient, or throws: {@link TemporaryFailureException} (try again later) or
     * {@link PermanentFailureException} (bounce). {@link PartialDeliveryException} says which recipients failed.
     */
    void send(QueueId id, OutgoingMessage message, String sender, List<String> recipients)
            throws TemporaryFailureException, PermanentFailureException, PartialDeliveryException;

    /** A short description for logs and the health check. */
    String describe();

    /** Throws when the upstream cannot be reached now (for the health check). */
    void probe() throws Exception;

    @Override
    default void close() {
    }
}
