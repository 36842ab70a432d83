package dev.veil.config;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;

/** Reads the {@code contacts} section; a treatment must make sense for its field (an alias is an email address). */
final class ContactsReader {
    static final List<String> FIELDS = Arrays.stream(ContactField.values()).map(ContactField::key).toList();
    static final List<String> TREATMENTS = Arrays.stream(ContactTreatment.values()).map(ContactTreatment::key).toList();

    private final Problems problems;

    ContactsReader(Problems problems) {
        this.problems = problems;
    }

    ContactsPolicy read(Node section) {
        Map<ContactField, ContactTreatment> out = new EnumMap<>(ContactField.class);
        YamlMap m = section == null ? null : YamlMap.of(section, "'contacts'", FIELDS, problems);
        if (m == null) {
            return ContactsPolicy.defaults();
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
        return new ContactsPolicy(out);
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
