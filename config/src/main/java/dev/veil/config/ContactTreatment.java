package dev.veil.config;

/** What Exchange receives in place of a contact field's real value (which stays in the vault). */
public enum ContactTreatment {
    /** a deterministic token (AES-SIV): equal values, equal tokens; reversible only with the pseudonym key */
    TOKEN,
    /** format-preserving encryption (FF1): still looks like a phone number */
    FPE,
    /** an alias address at the alias domain that Veil routes back (emails only) */
    ALIAS,
    /** a keyed hash: equal values stay equal, nothing is reversible */
    HASH,
    /** ciphertext only Veil can open */
    ENCRYPT,
    /** not sent at all */
    DROP,
    /** sent unchanged */
    KEEP;

    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
