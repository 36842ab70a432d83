package dev.veil.gateway.relay;

/** The upstream could not take the message now (4xx, refused, timeout, TLS failure): retry later. */
public class TemporaryFailureException extends Exception {
    private final boolean serverReply;

    /** A failure Veil describes itself (a connection refused, a DNS error, a file not written). */
    public TemporaryFailureException(String message) {
        this(message, null, false);
    }

    public TemporaryFailureException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private TemporaryFailureException(String message, Throwable cause, boolean serverReply) {
        super(message, cause);
        this.serverReply = serverReply;
    }

    /** The upstream server's own 4xx reply, which is meant for the sender. */
    public static TemporaryFailureException serverReply(String reply, Throwable cause) {
        return new TemporaryFailureException(reply, cause, true);
    }

    /**
     * Whether the message is the upstream server's reply rather than Veil's description of what went wrong (which
     * names Veil's upstream, its DNS or its files: not for a bounce notice to a sender outside the business).
     */
    public boolean isServerReply() {
        return serverReply;
    }
}
