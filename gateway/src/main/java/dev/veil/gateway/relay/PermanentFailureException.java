package dev.veil.gateway.relay;

/** The message will never be accepted as it is (5xx): bounce it with a DSN. */
public class PermanentFailureException extends Exception {
    public PermanentFailureException(String message) {
        super(message);
    }

    public PermanentFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
