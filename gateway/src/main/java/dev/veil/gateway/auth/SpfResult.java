package dev.veil.gateway.auth;

import java.util.Locale;

/** The results of an SPF check (RFC 7208 section 2.6), written as in Authentication-Results. */
public enum SpfResult {
    PASS, FAIL, SOFTFAIL, NEUTRAL, NONE, TEMPERROR, PERMERROR;

    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }
}
