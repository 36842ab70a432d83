package dev.veil.gateway.pipeline;

/** Protection the policy requires could not be applied; the message must not leave. Handled by policy on-error. */
public class FailClosedException extends Exception {
    public FailClosedException(String message) {
        super(message);
    }

    public FailClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
