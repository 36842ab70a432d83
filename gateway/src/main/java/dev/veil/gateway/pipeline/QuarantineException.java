package dev.veil.gateway.pipeline;

/**
 * A step decided that the message must be held for an admin (e.g. policy says mail that fails DMARC is quarantined).
 * It stays in the spool in state {@code quarantined}; nothing is relayed.
 */
public class QuarantineException extends Exception {
    public QuarantineException(String message) {
        super(message);
    }
}
