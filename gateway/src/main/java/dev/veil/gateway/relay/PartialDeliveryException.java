package dev.veil.gateway.relay;

import java.util.List;

/** Some recipients took the message, others did not: the queue keeps only the ones still to do. */
public class PartialDeliveryException extends Exception {
    private final List<String> delivered;
    private final List<String> temporaryFailures;
    private final List<String> permanentFailures;

    public PartialDeliveryException(String message, List<String> delivered, List<String> temporaryFailures,
                                    List<String> permanentFailures) {
        super(message);
        this.delivered = List.copyOf(delivered);
        this.temporaryFailures = List.copyOf(temporaryFailures);
        this.permanentFailures = List.copyOf(permanentFailures);
    }

    public List<String> delivered() { return delivered; }
    public List<String> temporaryFailures() { return temporaryFailures; }
    public List<String> permanentFailures() { return permanentFailures; }
}
