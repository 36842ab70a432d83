package dev.veil.config;

import java.util.Locale;

/**
 * The {@code authentication} section: what happens to inbound mail that fails DMARC (RFC 7489) when its From domain
 * publishes a policy of quarantine or reject. (A domain with {@code p=none} asked for nothing: its failing mail is
 * only recorded in Authentication-Results.)
 */
public record AuthenticationPolicy(DmarcFailure dmarcFailure) {

    /** quarantine: held in the spool for an admin; tag: delivered with the subject tagged; pass: only recorded. */
    public enum DmarcFailure {
        QUARANTINE, TAG, PASS;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public AuthenticationPolicy {
        if (dmarcFailure == null) {
            throw new IllegalArgumentException("dmarcFailure is required");
        }
    }

    /** Without an {@code authentication} section: failing mail is tagged, never dropped silently. */
    public static AuthenticationPolicy defaults() {
        return new AuthenticationPolicy(DmarcFailure.TAG);
    }
}
