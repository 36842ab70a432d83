package dev.veil.gateway.auth;

import java.util.Locale;

/** DMARC results as RFC 7489 section 11.2 registers them for Authentication-Results. */
public enum DmarcResult {
    PASS, FAIL, NONE, TEMPERROR, PERMERROR;

    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }
}
