package dev.veil.config;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;

/** Reads the {@code contacts} section; a treatment must make sense for its field (an alias is an email address). */
final class ContactsReader {
    static final List<String> FIELDS = Arrays.stream(ContactField.values()).map(ContactField::key).toList();
    static final List<String> KEYS = java.util.stream.Stream.concat(FIELDS.stream(), java.util.stream.Stream.of("alias-domain")).toList();
    static final List<String> TREATMENTS = Arrays.stream(ContactTreatment.values()).map(ContactTreatment::key).toList();

    private final Problems problems;
    private final ProtectedDomains protectedDomains;

    ContactsReader(Problems problems, ProtectedDomains protectedDomains) {
        this.problems = problems;
        this.protectedDomains = protectedDomains;
    }

    /**
     * @param ruleAliasDomain the alias domain of the first rule that pseudonymises correspondents (the default for
     *                        {@code alias-domain}), or null
     */
    ContactsPolicy read(Node key, Node section, String ruleAliasDomain) {
        Map<ContactField, ContactTreatment> out = new EnumMap<>(ContactField.class);
        YamlMap m = section == null ? null : YamlMap.of(section, "'contacts'", KEYS, problems);
        if (m == null) {
            return new ContactsPolicy(Map.of(), ruleAliasDomain);
        }
        for (ContactField field : ContactField.values()) {
            Scalar s = m.text(field.key());
            String t = YamlMap.oneOf(s, "treatment", TREATMENTS, problems);
            if (t == null) {
                continue;
            }
            ContactTreatment treatment = ContactTreatment.valueOf(t.toUpperCase(java.util.Locale.ROOT));
            String wrong = unfit(field, treatment);
            if (wrong != null) {
                problems.error(s.node(), wrong);
            } else {
                out.put(field, treatment);
            }
        }
        String aliasDomain = m.has("alias-domain") ? aliasDomain(m.text("alias-domain")) : ruleAliasDomain;
        ContactsPolicy policy = new ContactsPolicy(out, aliasDomain);
        if (policy.treatment(ContactField.EMAILS) == ContactTreatment.ALIAS && aliasDomain == null && !m.has("alias-domain")
                && !m.misspelt("alias-domain")) {
            problems.error(m.has("emails") ? m.value("emails") : key, "contact emails become aliases, but no alias"
                    + " domain is set — add 'alias-domain: alias.example.com' (a domain of its own, not a protected one)"
                    + " under contacts, or choose another treatment for emails");
        }
        return policy;
    }

    /** Like a rule's pseudonymise alias domain: one domain, not a protected one. Null (reported) when it is not. */
    private String aliasDomain(Scalar s) {
        if (s == null) {
            return null;
        }
        return protectedDomains.aliasDomain(s, problems, "contact aliases");
    }

    private static String unfit(ContactField field, ContactTreatment t) {
        if (t == ContactTreatment.ALIAS && field != ContactField.EMAILS) {
            return "'alias' only applies to emails (it makes an address Veil routes back) — use token for " + field.key();
        }
        if (t == ContactTreatment.FPE && field != ContactField.PHONES) {
            return "'fpe' only applies to phones (it keeps a phone number's shape) — use token or encrypt for " + field.key();
        }
        if (field == ContactField.PHOTOS && t != ContactTreatment.ENCRYPT && t != ContactTreatment.DROP && t != ContactTreatment.KEEP) {
            return "photos can only be encrypt, drop or keep";
        }
        return null;
    }
}
