package dev.veil.tests.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What Graph refuses in a contact's create or update body, as its documentation of the contact resource says: in
 * v1.0 a property the type does not have ({@code weddingAnniversary} is beta only) and a {@code birthday} that is not
 * an {@code Edm.DateTimeOffset}. So an end-to-end test fails where Exchange would answer 400.
 */
final class GraphContactRules {
    /** The v1.0 contact's properties and navigation properties (learn.microsoft.com/graph/api/resources/contact). */
    private static final Set<String> V1 = Set.of("assistantName", "birthday", "businessAddress", "businessHomePage",
            "businessPhones", "categories", "changeKey", "children", "companyName", "createdDateTime", "department",
            "displayName", "emailAddresses", "fileAs", "generation", "givenName", "homeAddress", "homePhones", "id",
            "imAddresses", "initials", "jobTitle", "lastModifiedDateTime", "manager", "middleName", "mobilePhone",
            "nickName", "officeLocation", "otherAddress", "parentFolderId", "personalNotes", "profession",
            "spouseName", "surname", "title", "yomiCompanyName", "yomiGivenName", "yomiSurname", "extensions",
            "multiValueExtendedProperties", "singleValueExtendedProperties", "photo");

    private GraphContactRules() {
    }

    /** Graph's 400 error message for this body, or empty when Graph takes it. */
    static Optional<String> refusal(String version, ObjectNode body) {
        Iterator<Map.Entry<String, JsonNode>> fields = body.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String name = f.getKey();
            if (version.equals("v1.0") && !name.startsWith("@") && !V1.contains(name)) {
                return Optional.of("The property '" + name + "' does not exist on type 'microsoft.graph.contact'."
                        + " Make sure to only use property names that are defined by the type or mark the type as open type.");
            }
            boolean date = name.equals("birthday") || name.equals("weddingAnniversary");
            if (date && f.getValue().isTextual() && !dateTimeOffset(f.getValue().asText(), version)) {
                return Optional.of("Cannot convert the literal '" + f.getValue().asText()
                        + "' to the expected type 'Edm.DateTimeOffset'.");
            }
            if (date && !f.getValue().isTextual() && !f.getValue().isNull()) {
                return Optional.of("Cannot convert a value to the expected type 'Edm.DateTimeOffset'.");
            }
        }
        return Optional.empty();
    }

    /** v1.0 takes only a DateTimeOffset; the stand-in lets beta also take a plain date, as CONTACTS.md maps it. */
    private static boolean dateTimeOffset(String text, String version) {
        try {
            OffsetDateTime.parse(text);
            return true;
        } catch (RuntimeException notDateTime) {
            if (version.equals("v1.0")) {
                return false;
            }
        }
        try {
            LocalDate.parse(text);
            return true;
        } catch (RuntimeException notDate) {
            return false;
        }
    }
}
