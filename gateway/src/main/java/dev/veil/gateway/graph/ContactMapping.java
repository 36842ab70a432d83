package dev.veil.gateway.graph;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ezvcard.VCard;
import ezvcard.VCardVersion;
import ezvcard.parameter.AddressType;
import ezvcard.parameter.EmailType;
import ezvcard.parameter.TelephoneType;
import ezvcard.property.Address;
import ezvcard.property.Anniversary;
import ezvcard.property.Birthday;
import ezvcard.property.Categories;
import ezvcard.property.Email;
import ezvcard.property.FormattedName;
import ezvcard.property.Nickname;
import ezvcard.property.Note;
import ezvcard.property.Organization;
import ezvcard.property.RawProperty;
import ezvcard.property.Role;
import ezvcard.property.StructuredName;
import ezvcard.property.Telephone;
import ezvcard.property.Title;
import ezvcard.property.Uid;
import ezvcard.property.Url;
import ezvcard.property.VCardProperty;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A Graph contact's JSON and a vCard, both ways, field by field as {@code gateway/CONTACTS.md} documents. Empty
 * values ({@code null}, {@code ""}, {@code []}, {@code {}}) mean "not set" in Graph and become no property; fields
 * this mapping does not know are kept in {@code X-MS-GRAPH-FIELD} properties, so nothing Graph sends is lost.
 * The vault id (the sealed card's UID) travels in a single-value extended property in Veil's own GUID namespace.
 */
public final class ContactMapping {

    /** Graph's two shapes of a contact: v1.0 (fixed phone/address fields) and beta (typed lists). */
    public enum Dialect {
        V1, BETA;

        public static Dialect of(String baseUrl) {
            return baseUrl.contains("/beta") ? BETA : V1;
        }
    }

    /** Veil's MAPI property namespace (a fixed GUID of its own) and the named property holding the vault id. */
    public static final String VAULT_ID_PROPERTY = "String {9c2f4d1e-5b7a-4e38-a6d0-3f1b8e72c45a} Name VeilVaultId";
    /** The query that makes Graph return the vault id with a contact (extended properties are only sent when asked). */
    public static final String EXPAND_VAULT_ID = GraphClient.query("$expand",
            "singleValueExtendedProperties($filter=id eq '" + VAULT_ID_PROPERTY + "')");

    /** Graph fields that Graph sets itself: never sent in a create or update. */
    public static final Set<String> READ_ONLY = Set.of("id", "changeKey", "createdDateTime", "lastModifiedDateTime",
            "parentFolderId", "@odata.etag", "@odata.context", "@odata.type");

    // vCard properties and parameters of this mapping (see CONTACTS.md)
    static final String GRAPH_ID = "X-MS-GRAPH-ID";
    static final String CHANGE_KEY = "X-MS-GRAPH-CHANGEKEY";
    static final String ETAG = "X-MS-GRAPH-ETAG";
    static final String CREATED = "X-MS-GRAPH-CREATED";
    static final String MODIFIED = "X-MS-GRAPH-MODIFIED";
    static final String FOLDER = "X-MS-GRAPH-FOLDER";
    static final String UNMAPPED = "X-MS-GRAPH-FIELD";
    static final String P_FIELD = "X-MS-FIELD";
    static final String P_TYPE = "X-MS-TYPE";
    static final String P_NAME = "X-MS-NAME";
    static final String P_LABEL = "X-MS-LABEL";
    static final String P_DISPLAY = "X-MS-DISPLAYNAME";

    /** Graph-held metadata properties: not part of the contact itself (stripped before vaulting). */
    public static final List<String> METADATA = List.of(GRAPH_ID, CHANGE_KEY, ETAG, CREATED, MODIFIED, FOLDER);

    /** Single string fields that become an X- property of the same meaning. */
    private static final Map<String, String> TEXT_FIELDS = Map.ofEntries(
            Map.entry("initials", "X-MS-INITIALS"),
            Map.entry("fileAs", "X-MS-FILE-AS"),
            Map.entry("yomiGivenName", "X-PHONETIC-FIRST-NAME"),
            Map.entry("yomiSurname", "X-PHONETIC-LAST-NAME"),
            Map.entry("yomiCompanyName", "X-PHONETIC-ORG"),
            Map.entry("officeLocation", "X-MS-OFFICE-LOCATION"),
            Map.entry("manager", "X-MS-MANAGER"),
            Map.entry("assistantName", "X-MS-ASSISTANT"),
            Map.entry("spouseName", "X-MS-SPOUSE"),
            Map.entry("gender", "X-MS-GENDER"),
            Map.entry("id", GRAPH_ID),
            Map.entry("changeKey", CHANGE_KEY),
            Map.entry("@odata.etag", ETAG),
            Map.entry("createdDateTime", CREATED),
            Map.entry("lastModifiedDateTime", MODIFIED),
            Map.entry("parentFolderId", FOLDER));
    /** String-list fields that become one X- property per entry. */
    private static final Map<String, String> LIST_FIELDS = Map.of("children", "X-MS-CHILD", "imAddresses", "X-MS-IMADDRESS");

    /** The fields the mapping knows (for v1.0 and beta); others go to {@code X-MS-GRAPH-FIELD}. */
    private static final Set<String> KNOWN = Set.of("displayName", "givenName", "surname", "middleName", "title",
            "generation", "nickName", "companyName", "department", "jobTitle", "profession", "personalNotes",
            "categories", "birthday", "weddingAnniversary", "emailAddresses", "businessPhones", "homePhones",
            "mobilePhone", "phones", "homeAddress", "businessAddress", "otherAddress", "postalAddresses",
            "businessHomePage", "websites", "singleValueExtendedProperties");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Dialect dialect;
    private final ObjectMapper json = new ObjectMapper();

    public ContactMapping(Dialect dialect) {
        this.dialect = dialect;
    }

    public Dialect dialect() {
        return dialect;
    }

    // ---------------------------------------------------------------- JSON -> vCard

    public VCard toVCard(ObjectNode contact) {
        VCard card = new VCard(VCardVersion.V4_0);
        Iterator<Map.Entry<String, JsonNode>> fields = contact.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            boolean annotation = f.getKey().startsWith("@") && !f.getKey().equals("@odata.etag");
            if (!annotation && !empty(f.getValue()) && !KNOWN.contains(f.getKey()) && !TEXT_FIELDS.containsKey(f.getKey())
                    && !LIST_FIELDS.containsKey(f.getKey())) {
                card.addExtendedProperty(UNMAPPED, compact(f.getValue())).getParameters().put(P_FIELD, f.getKey());
            }
        }
        text(contact, "displayName").ifPresent(v -> card.setFormattedName(v));
        StructuredName n = new StructuredName();
        text(contact, "surname").ifPresent(n::setFamily);
        text(contact, "givenName").ifPresent(n::setGiven);
        text(contact, "middleName").ifPresent(v -> n.getAdditionalNames().add(v));
        text(contact, "title").ifPresent(v -> n.getPrefixes().add(v));
        text(contact, "generation").ifPresent(v -> n.getSuffixes().add(v));
        if (n.getFamily() != null || n.getGiven() != null || !n.getAdditionalNames().isEmpty()
                || !n.getPrefixes().isEmpty() || !n.getSuffixes().isEmpty()) {
            card.setStructuredName(n);
        }
        text(contact, "nickName").ifPresent(v -> card.setNickname(v));
        TEXT_FIELDS.forEach((field, property) -> text(contact, field).ifPresent(v -> card.addExtendedProperty(property, v)));
        LIST_FIELDS.forEach((field, property) -> strings(contact, field).forEach(v -> card.addExtendedProperty(property, v)));
        java.util.Optional<String> company = text(contact, "companyName");
        java.util.Optional<String> department = text(contact, "department");
        if (company.isPresent() || department.isPresent()) {
            Organization org = new Organization();
            org.getValues().add(company.orElse(""));
            department.ifPresent(org.getValues()::add);
            card.setOrganization(org);
        }
        text(contact, "jobTitle").ifPresent(v -> card.addTitle(v));
        text(contact, "profession").ifPresent(v -> card.addRole(v));
        text(contact, "personalNotes").ifPresent(v -> card.addNote(v));
        List<String> categories = strings(contact, "categories");
        if (!categories.isEmpty()) {
            Categories c = new Categories();
            c.getValues().addAll(categories);
            card.setCategories(c);
        }
        text(contact, "birthday").ifPresent(v -> card.setBirthday(GraphDate.toVCard(v, dialect, Birthday::new, Birthday::new)));
        text(contact, "weddingAnniversary").ifPresent(v -> card.setAnniversary(
                GraphDate.toVCard(v, dialect, Anniversary::new, Anniversary::new)));
        for (JsonNode e : contact.path("emailAddresses")) {
            if (empty(e)) {
                continue;
            }
            Email email = new Email(e.path("address").asText(""));
            param(email, P_NAME, e.path("name"));
            param(email, P_LABEL, e.path("otherLabel"));
            if (param(email, P_TYPE, e.path("type"))) {
                switch (e.path("type").asText()) {
                    case "work" -> email.getTypes().add(EmailType.WORK);
                    case "personal" -> email.getTypes().add(EmailType.HOME);
                    case "main" -> email.getTypes().add(EmailType.PREF);
                    default -> { }
                }
            }
            card.addEmail(email);
        }
        strings(contact, "businessPhones").forEach(v -> card.addTelephoneNumber(phone(v, "business")));
        strings(contact, "homePhones").forEach(v -> card.addTelephoneNumber(phone(v, "home")));
        text(contact, "mobilePhone").ifPresent(v -> card.addTelephoneNumber(phone(v, "mobile")));
        for (JsonNode p : contact.path("phones")) {
            if (!empty(p)) {
                Telephone tel = phone(p.path("number").asText(""), p.path("type").asText(""));
                if (!p.path("type").isTextual()) {
                    tel.getParameters().removeAll(P_TYPE);
                }
                card.addTelephoneNumber(tel);
            }
        }
        address(card, contact.path("homeAddress"), "home");
        address(card, contact.path("businessAddress"), "business");
        address(card, contact.path("otherAddress"), "other");
        for (JsonNode a : contact.path("postalAddresses")) {
            address(card, a, a.path("type").isTextual() ? a.path("type").asText() : null);
        }
        text(contact, "businessHomePage").ifPresent(v -> {
            Url url = new Url(v);
            url.setType("work");
            card.addUrl(url);
        });
        for (JsonNode w : contact.path("websites")) {
            if (empty(w)) {
                continue;
            }
            Url url = new Url(w.path("address").asText(""));
            param(url, P_TYPE, w.path("type"));
            param(url, P_NAME, w.path("name"));
            param(url, P_DISPLAY, w.path("displayName"));
            if ("work".equals(w.path("type").asText()) || "home".equals(w.path("type").asText())) {
                url.setType(w.path("type").asText());
            }
            card.addUrl(url);
        }
        for (JsonNode ep : contact.path("singleValueExtendedProperties")) {
            if (VAULT_ID_PROPERTY.equalsIgnoreCase(ep.path("id").asText()) && ep.path("value").isTextual()) {
                card.setUid(new Uid(ep.path("value").asText()));
            } else if (!empty(ep)) {
                card.addExtendedProperty(UNMAPPED, compact(ep)).getParameters()
                        .put(P_FIELD, "singleValueExtendedProperties");
            }
        }
        return card;
    }

    // ---------------------------------------------------------------- vCard -> JSON

    public ObjectNode toJson(VCard card) {
        ObjectNode out = NODES.objectNode();
        for (RawProperty raw : card.getExtendedProperties(UNMAPPED)) {
            String field = raw.getParameters().first(P_FIELD);
            if (field == null || "singleValueExtendedProperties".equals(field)) {
                continue;
            }
            out.set(field, parse(raw.getValue()));
        }
        TEXT_FIELDS.forEach((field, property) -> first(card.getExtendedProperties(property)).ifPresent(v -> out.put(field, v)));
        LIST_FIELDS.forEach((field, property) -> {
            List<RawProperty> values = card.getExtendedProperties(property);
            if (!values.isEmpty()) {
                ArrayNode a = out.putArray(field);
                values.forEach(v -> a.add(v.getValue()));
            }
        });
        if (card.getFormattedName() != null) {
            put(out, "displayName", card.getFormattedName().getValue());
        }
        StructuredName n = card.getStructuredName();
        if (n != null) {
            put(out, "surname", n.getFamily());
            put(out, "givenName", n.getGiven());
            put(out, "middleName", String.join(" ", n.getAdditionalNames()));
            put(out, "title", String.join(" ", n.getPrefixes()));
            put(out, "generation", String.join(" ", n.getSuffixes()));
        }
        Nickname nick = card.getNickname();
        if (nick != null) {
            put(out, "nickName", String.join(", ", nick.getValues()));
        }
        Organization org = card.getOrganization();
        if (org != null && !org.getValues().isEmpty()) {
            put(out, "companyName", org.getValues().get(0));
            if (org.getValues().size() > 1) {
                put(out, "department", String.join("; ", org.getValues().subList(1, org.getValues().size())));
            }
        }
        card.getTitles().stream().findFirst().ifPresent(t -> put(out, "jobTitle", t.getValue()));
        card.getRoles().stream().findFirst().ifPresent(r -> put(out, "profession", r.getValue()));
        if (!card.getNotes().isEmpty()) {
            put(out, "personalNotes", String.join("\n\n", card.getNotes().stream().map(Note::getValue).toList()));
        }
        List<String> categories = new ArrayList<>();
        card.getCategoriesList().forEach(c -> categories.addAll(c.getValues()));
        if (!categories.isEmpty()) {
            ArrayNode a = out.putArray("categories");
            categories.forEach(a::add);
        }
        // a value Graph cannot take as a date (a sealed token: Edm.DateTimeOffset refuses it) is left out: the vault
        // keeps the real one
        if (card.getBirthday() != null) {
            put(out, "birthday", GraphDate.toGraph(card.getBirthday(), dialect));
        }
        if (card.getAnniversary() != null && dialect == Dialect.BETA) { // v1.0 has no weddingAnniversary (400)
            put(out, "weddingAnniversary", GraphDate.toGraph(card.getAnniversary(), dialect));
        }
        emails(card, out);
        phones(card, out);
        addresses(card, out);
        urls(card, out);
        if (card.getUid() != null && card.getUid().getValue() != null) {
            ObjectNode ep = out.putArray("singleValueExtendedProperties").addObject();
            ep.put("id", VAULT_ID_PROPERTY);
            ep.put("value", card.getUid().getValue());
        }
        return out;
    }

    /** The fields of a contact that a create or update may send (no server-set fields). */
    public static ObjectNode writable(ObjectNode contact) {
        ObjectNode copy = contact.deepCopy();
        copy.remove(READ_ONLY);
        return copy;
    }

    private void emails(VCard card, ObjectNode out) {
        if (card.getEmails().isEmpty()) {
            return;
        }
        ArrayNode a = out.putArray("emailAddresses");
        for (Email email : card.getEmails()) {
            ObjectNode e = a.addObject();
            String type = email.getParameters().first(P_TYPE);
            if (type == null && dialect == Dialect.BETA) {
                type = email.getTypes().contains(EmailType.WORK) ? "work"
                        : email.getTypes().contains(EmailType.HOME) ? "personal" : "other";
            }
            if (type != null) {
                e.put("type", type);
            }
            String label = email.getParameters().first(P_LABEL);
            if (label != null) {
                e.put("otherLabel", label);
            }
            String name = email.getParameters().first(P_NAME);
            if (name != null) {
                e.put("name", name);
            }
            e.put("address", email.getValue() == null ? "" : email.getValue());
        }
    }

    private void phones(VCard card, ObjectNode out) {
        if (card.getTelephoneNumbers().isEmpty()) {
            return;
        }
        if (dialect == Dialect.BETA) {
            ArrayNode a = out.putArray("phones");
            for (Telephone tel : card.getTelephoneNumbers()) {
                ObjectNode p = a.addObject();
                p.put("type", phoneType(tel));
                p.put("number", number(tel));
            }
            return;
        }
        // v1.0: one mobile number, lists of home and business numbers; other kinds have no field and go to business
        for (Telephone tel : card.getTelephoneNumbers()) {
            String type = phoneType(tel);
            if (type.equals("mobile") && !out.has("mobilePhone")) {
                out.put("mobilePhone", number(tel));
            } else {
                String field = type.startsWith("home") ? "homePhones" : "businessPhones";
                (out.has(field) ? (ArrayNode) out.get(field) : out.putArray(field)).add(number(tel));
            }
        }
    }

    private void addresses(VCard card, ObjectNode out) {
        if (card.getAddresses().isEmpty()) {
            return;
        }
        ArrayNode list = dialect == Dialect.BETA ? out.putArray("postalAddresses") : null;
        for (Address adr : card.getAddresses()) {
            String type = adr.getParameters().first(P_TYPE);
            if (type == null) {
                type = adr.getTypes().contains(AddressType.HOME) ? "home"
                        : adr.getTypes().contains(AddressType.WORK) ? "business" : "other";
            }
            ObjectNode a;
            if (list != null) {
                a = list.addObject();
                if (adr.getParameters().first(P_TYPE) != null || !adr.getTypes().isEmpty()) {
                    a.put("type", type);
                }
            } else {
                String field = switch (type) {
                    case "home" -> "homeAddress";
                    case "business" -> "businessAddress";
                    default -> "otherAddress";
                };
                if (out.has(field)) {
                    continue; // v1.0 has one address of each kind; the vault keeps the rest
                }
                a = out.putObject(field);
            }
            put(a, "postOfficeBox", join(adr.getPoBoxes()));
            put(a, "street", join(adr.getStreetAddresses()));
            put(a, "city", join(adr.getLocalities()));
            put(a, "state", join(adr.getRegions()));
            put(a, "countryOrRegion", join(adr.getCountries()));
            put(a, "postalCode", join(adr.getPostalCodes()));
        }
    }

    private void urls(VCard card, ObjectNode out) {
        if (card.getUrls().isEmpty()) {
            return;
        }
        if (dialect == Dialect.V1) {
            Url url = card.getUrls().stream().filter(u -> "work".equalsIgnoreCase(u.getType())).findFirst()
                    .orElse(card.getUrls().get(0));
            put(out, "businessHomePage", url.getValue());
            return;
        }
        ArrayNode a = out.putArray("websites");
        for (Url url : card.getUrls()) {
            ObjectNode w = a.addObject();
            String type = url.getParameters().first(P_TYPE);
            w.put("type", type != null ? type : url.getType() != null ? url.getType().toLowerCase(Locale.ROOT) : "other");
            w.put("address", url.getValue());
            String name = url.getParameters().first(P_NAME);
            if (name != null) {
                w.put("name", name);
            }
            String display = url.getParameters().first(P_DISPLAY);
            if (display != null) {
                w.put("displayName", display);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Telephone phone(String number, String graphType) {
        Telephone tel = new Telephone(number);
        tel.getParameters().put(P_TYPE, graphType);
        switch (graphType) {
            case "home" -> tel.getTypes().addAll(List.of(TelephoneType.HOME, TelephoneType.VOICE));
            case "business" -> tel.getTypes().addAll(List.of(TelephoneType.WORK, TelephoneType.VOICE));
            case "mobile" -> tel.getTypes().add(TelephoneType.CELL);
            case "homeFax" -> tel.getTypes().addAll(List.of(TelephoneType.HOME, TelephoneType.FAX));
            case "businessFax" -> tel.getTypes().addAll(List.of(TelephoneType.WORK, TelephoneType.FAX));
            case "otherFax" -> tel.getTypes().add(TelephoneType.FAX);
            case "pager" -> tel.getTypes().add(TelephoneType.PAGER);
            default -> { }
        }
        return tel;
    }

    /** Graph's phone type: the one it sent, else from the vCard TYPEs. */
    private static String phoneType(Telephone tel) {
        String sent = tel.getParameters().first(P_TYPE);
        if (sent != null) {
            return sent;
        }
        List<TelephoneType> t = tel.getTypes();
        boolean fax = t.contains(TelephoneType.FAX);
        if (t.contains(TelephoneType.CELL)) {
            return "mobile";
        }
        if (t.contains(TelephoneType.PAGER)) {
            return "pager";
        }
        if (t.contains(TelephoneType.HOME)) {
            return fax ? "homeFax" : "home";
        }
        if (t.contains(TelephoneType.WORK)) {
            return fax ? "businessFax" : "business";
        }
        return fax ? "otherFax" : "other";
    }

    private static String number(Telephone tel) {
        if (tel.getText() != null) {
            return tel.getText();
        }
        return tel.getUri() == null ? "" : tel.getUri().getNumber();
    }

    private static void address(VCard card, JsonNode a, String graphType) {
        if (empty(a)) {
            return;
        }
        Address adr = new Address();
        if (graphType != null) {
            adr.getParameters().put(P_TYPE, graphType);
            if (graphType.equals("home")) {
                adr.getTypes().add(AddressType.HOME);
            } else if (graphType.equals("business")) {
                adr.getTypes().add(AddressType.WORK);
            }
        }
        text(a, "postOfficeBox").ifPresent(adr::setPoBox);
        text(a, "street").ifPresent(adr::setStreetAddress);
        text(a, "city").ifPresent(adr::setLocality);
        text(a, "state").ifPresent(adr::setRegion);
        text(a, "countryOrRegion").ifPresent(adr::setCountry);
        text(a, "postalCode").ifPresent(adr::setPostalCode);
        card.addAddress(adr);
    }

    private static boolean param(VCardProperty p, String name, JsonNode value) {
        if (value.isTextual()) {
            p.getParameters().put(name, value.asText());
            return true;
        }
        return false;
    }

    private static java.util.Optional<String> first(List<RawProperty> values) {
        return values.stream().map(RawProperty::getValue).filter(v -> v != null).findFirst();
    }

    private static java.util.Optional<String> text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isTextual() && !v.asText().isEmpty() ? java.util.Optional.of(v.asText()) : java.util.Optional.empty();
    }

    private static List<String> strings(JsonNode node, String field) {
        List<String> out = new ArrayList<>();
        for (JsonNode v : node.path(field)) {
            if (v.isTextual()) {
                out.add(v.asText());
            }
        }
        return out;
    }

    private static void put(ObjectNode out, String field, String value) {
        if (value != null && !value.isEmpty()) {
            out.put(field, value);
        }
    }

    private static String join(List<String> values) {
        return String.join("\n", values);
    }

    /** Graph's "not set": null, an empty string, an empty list or an empty object. */
    public static boolean empty(JsonNode v) {
        return v == null || v.isNull() || v.isMissingNode() || (v.isTextual() && v.asText().isEmpty())
                || (v.isContainerNode() && v.isEmpty());
    }

    private String compact(JsonNode v) {
        try {
            return json.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode parse(String text) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            return NODES.textNode(text);
        }
    }
}
