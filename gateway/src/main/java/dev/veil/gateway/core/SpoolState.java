package dev.veil.gateway.core;

/** received -> processing -> relayed, with deferred (retry later), bounced and quarantined. */
public enum SpoolState {
    RECEIVED, PROCESSING, DEFERRED, RELAYED, BOUNCED, QUARANTINED;

    /** Final states are never picked up again. */
    public boolean isFinal() {
        return this == RELAYED || this == BOUNCED || this == QUARANTINED;
    }
}
