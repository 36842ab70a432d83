package dev.veil.config;

import java.util.EnumMap;
import java.util.Map;

/**
 * The {@code contacts} section: for every contact field, what Exchange gets instead of the real value.
 *
 * @param aliasDomain the domain contact email aliases live in ({@code contacts.alias-domain}, else the alias domain of
 *                    the first rule that pseudonymises correspondents); null when the policy names none — sealing an
 *                    email with {@code alias} then fails closed
 */
public record ContactsPolicy(Map<ContactField, ContactTreatment> treatments, String aliasDomain) {

    public ContactsPolicy {
        EnumMap<ContactField, ContactTreatment> all = new EnumMap<>(defaultTreatments());
        all.putAll(treatments);
        treatments = java.util.Collections.unmodifiableMap(all);
        aliasDomain = aliasDomain == null ? null : aliasDomain.toLowerCase(java.util.Locale.ROOT);
    }

    /** Without an alias domain. */
    public ContactsPolicy(Map<ContactField, ContactTreatment> treatments) {
        this(treatments, null);
    }

    /** The alias domain for contact emails, if the policy has one. */
    public java.util.Optional<String> aliasDomainIfAny() {
        return java.util.Optional.ofNullable(aliasDomain);
    }

    /** What a field gets; every field has a treatment (unset fields have their default). */
    public ContactTreatment treatment(ContactField field) {
        return treatments.get(field);
    }

    public static ContactsPolicy defaults() {
        return new ContactsPolicy(Map.of(), null);
    }

    /** Defaults lean private: nothing identifying is kept unless the policy says so. */
    static Map<ContactField, ContactTreatment> defaultTreatments() {
        EnumMap<ContactField, ContactTreatment> d = new EnumMap<>(ContactField.class);
        d.put(ContactField.NAMES, ContactTreatment.TOKEN);
        d.put(ContactField.EMAILS, ContactTreatment.ALIAS);
        d.put(ContactField.PHONES, ContactTreatment.FPE);
        d.put(ContactField.ADDRESSES, ContactTreatment.ENCRYPT);
        d.put(ContactField.NOTES, ContactTreatment.ENCRYPT);
        d.put(ContactField.PHOTOS, ContactTreatment.DROP);
        d.put(ContactField.BIRTHDAY, ContactTreatment.ENCRYPT);
        d.put(ContactField.COMPANY, ContactTreatment.TOKEN);
        d.put(ContactField.JOB_TITLE, ContactTreatment.ENCRYPT);
        d.put(ContactField.CUSTOM, ContactTreatment.ENCRYPT);
        return d;
    }
}
