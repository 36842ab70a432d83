package dev.veil.gateway.relay;

import java.util.List;

/**
 * Some recipients took the message, others did not, or they failed for different reasons (one refused at RCPT,
 * another at DATA): the queue keeps only the ones still to do, and each failed one is reported with its own reply.
 */
public class PartialDeliveryException extends Exception {
    private final List<String> delivered;
    private final List<String> temporaryFailures;
    private final List<String> permanentFailures;
    private final java.util.Map<String, String> replies;

    public PartialDeliveryException(String message, List<String> delivered, List<String> temporaryFailures,
                                    List<String> permanentFailures) {
        this(message, delivered, temporaryFailures, permanentFailures, java.util.Map.of());
    }

    /** @param replies the upstream's own reply per failed recipient, where it gave one */
    public PartialDeliveryException(String message, List<String> delivered, List<String> temporaryFailures,
                                    List<String> permanentFailures, java.util.Map<String, String> replies) {
        super(message);
        this.delivered = List.copyOf(delivered);
        this.temporaryFailures = List.copyOf(temporaryFailures);
        this.permanentFailures = List.copyOf(permanentFailures);
        this.replies = java.util.Map.copyOf(replies);
    }

    /** The reply that concerned this recipient, else the transaction's. */
    public String replyFor(String recipient) {
        return replies.getOrDefault(recipient, getMessage());
    }

    public List<String> delivered() { return delivered; }
    public List<String> temporaryFailures() { return temporaryFailures; }
    public List<String> permanentFailures() { return permanentFailures; }
}
