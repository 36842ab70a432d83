package dev.veil.config;

/** A field of a contact as Exchange stores it; the {@code contacts} section says what Veil sends for each. */
public enum ContactField {
    NAMES, EMAILS, PHONES, ADDRESSES, NOTES, PHOTOS, BIRTHDAY, COMPANY, JOB_TITLE, CUSTOM;

    /** The spelling in the policy file: {@code job-title}. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
