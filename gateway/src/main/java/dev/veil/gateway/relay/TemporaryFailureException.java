package dev.veil.gateway.relay;

/** The upstream could not take the message now (4xx, refused, timeout, TLS failure): retry later. */
public class TemporaryFailureException extends Exception {
    public TemporaryFailureException(String message) {
        super(message);
    }

    public TemporaryFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
