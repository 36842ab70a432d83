package dev.veil.gateway.contacts;

import dev.veil.config.ContactField;
import dev.veil.config.ContactTreatment;
import dev.veil.config.ContactsPolicy;
import dev.veil.crypto.Pseudonymiser;
import ezvcard.VCard;
import ezvcard.VCardVersion;
import ezvcard.io.scribe.RawPropertyScribe;
import ezvcard.io.scribe.ScribeIndex;
import ezvcard.io.scribe.VCardPropertyScribe;
import ezvcard.io.text.WriteContext;
import ezvcard.parameter.VCardParameters;
import ezvcard.property.Address;
import ezvcard.property.Agent;
import ezvcard.property.Anniversary;
import ezvcard.property.Birthday;
import ezvcard.property.Birthplace;
import ezvcard.property.ClientPidMap;
import ezvcard.property.Deathdate;
import ezvcard.property.Deathplace;
import ezvcard.property.Email;
import ezvcard.property.FormattedName;
import ezvcard.property.Geo;
import ezvcard.property.Kind;
import ezvcard.property.Label;
import ezvcard.property.Logo;
import ezvcard.property.Nickname;
import ezvcard.property.Note;
import ezvcard.property.Organization;
import ezvcard.property.Photo;
import ezvcard.property.ProductId;
import ezvcard.property.Profile;
import ezvcard.property.RawProperty;
import ezvcard.property.Revision;
import ezvcard.property.Role;
import ezvcard.property.SortString;
import ezvcard.property.Sound;
import ezvcard.property.StructuredName;
import ezvcard.property.Telephone;
import ezvcard.property.Timezone;
import ezvcard.property.Title;
import ezvcard.property.Uid;
import ezvcard.property.VCardProperty;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Applies the policy's per-field treatments to a real vCard and returns the card Exchange may hold. The real card is
 * not changed. What each treatment means for each property is documented in {@code gateway/CONTACTS.md}; in short,
 * every text atom of a property (a name component, an address component, an organisation unit, a note, a custom
 * property's value) is replaced on its own, so the sealed card keeps the real card's shape (the Graph mapping still
 * finds a given name, a street, a city) without any real value, and parameters that can carry personal text
 * ({@code LABEL}, {@code SORT-AS}, {@code GEO}, free-form {@code TYPE} values, {@code X-} parameters) are removed
 * unless the field is {@code keep}.
 *
 * <p>Deterministic: the same real card and keys give the same sealed card, except for {@code encrypt}ed values
 * (AES-GCM with a random IV).
 */
public final class ContactSealer {
    /** Pseudonymiser kind of vault ids. */
    static final String VAULT_ID_KIND = "vid";
    /** Vault ids: the pseudonymiser's keyed hash of kind {@code vid}. */
    private static final Pattern VAULT_ID = Pattern.compile("vid[0-9]{1,4}-[a-z2-7]{32}");
    private static final Pattern PLAIN_GROUP = Pattern.compile("(?i)item[0-9]{1,6}");
    /** TYPE values that say what kind of number/address/email something is, nothing about whose. */
    private static final Set<String> SAFE_TYPES = Set.of("home", "work", "cell", "voice", "fax", "pager", "text",
            "textphone", "video", "msg", "bbs", "modem", "car", "isdn", "pcs", "internet", "x400", "pref", "dom", "intl",
            "postal", "parcel", "main", "other", "iphone", "mobile", "aol", "applelink", "attmail", "cis", "eworld",
            "ibmmail", "mcimail", "powershare", "prodigy", "tlx", "jpeg", "png", "gif", "bmp");
    /** Parameters that say nothing about the person; every other one goes unless the field is kept. */
    private static final Set<String> SAFE_PARAMETERS = Set.of("TYPE", "PREF", "PID", "ALTID", "INDEX", "CALSCALE");
    private static final ScribeIndex SCRIBES = new ScribeIndex();

    private ContactSealer() {
    }

    /** Whether {@code uid} has the form of a vault id (a keyed hash: it cannot be checked without the real card). */
    public static boolean isVaultId(String uid) {
        return uid != null && VAULT_ID.matcher(uid).matches();
    }

    /**
     * The vault id of a real card of a mailbox: a keyed hash of the mailbox (lower case) and the card's identity — its
     * UID when it has one, otherwise the whole card in the vault's lossless form without {@code REV} and
     * {@code PRODID} (so a card without UID that is edited gets a new id; two identical cards share one). Reveals
     * nothing: it is an HMAC under the pseudonym key of the current version.
     */
    public static String vaultId(Pseudonymiser p, String mailbox, VCard real) {
        Uid uid = real.getUid();
        String identity;
        if (uid != null && uid.getValue() != null && !uid.getValue().isBlank()) {
            identity = "uid:" + uid.getValue();
        } else {
            VCard copy = new VCard(real);
            copy.removeProperties(Revision.class);
            copy.removeProperties(ProductId.class);
            identity = "card:" + Base64.getEncoder().encodeToString(CardCodec.encode(copy));
        }
        return p.hash(VAULT_ID_KIND, mailbox.strip().toLowerCase(Locale.ROOT) + "\n" + identity);
    }

    /** The sealed card: UID {@code vaultId}, every other property treated as the policy says. */
    public static VCard seal(Pseudonymiser p, ContactsPolicy policy, VCard real, String vaultId) throws ContactException {
        VCardVersion version = real.getVersion() == null ? VCardVersion.V3_0 : real.getVersion();
        VCard sealed = new VCard(version);
        sealed.setUid(new Uid(vaultId));
        for (VCardProperty property : real.getProperties()) {
            if (property instanceof Uid || property instanceof Revision || property instanceof ProductId
                    || property instanceof Profile || property instanceof ClientPidMap) {
                continue; // replaced by the vault id, or metadata that only helps correlate (timestamps, sync ids)
            }
            if (property instanceof Kind) {
                sealed.addProperty(property.copy()); // individual, group, org, location: says nothing about whom
                continue;
            }
            ContactField field = fieldOf(property);
            ContactTreatment treatment = policy.treatment(field);
            VCardProperty out = treat(p, policy, field, treatment, property, version, real, vaultId);
            if (out != null) {
                sealed.addProperty(out);
            }
        }
        return sealed;
    }

    /** Which policy field a property belongs to; anything not named in the policy is {@code custom}. */
    static ContactField fieldOf(VCardProperty property) {
        if (property instanceof FormattedName || property instanceof StructuredName || property instanceof Nickname
                || property instanceof SortString) {
            return ContactField.NAMES;
        }
        if (property instanceof Sound s && s.getParameters().getTypes().stream().anyMatch(t -> t.equalsIgnoreCase("X-IRMC-N"))) {
            return ContactField.NAMES; // 2.1 phones keep the phonetic name here
        }
        if (property instanceof RawProperty raw && raw.getPropertyName().toUpperCase(Locale.ROOT).startsWith("X-PHONETIC-")) {
            return ContactField.NAMES;
        }
        if (property instanceof Email) {
            return ContactField.EMAILS;
        }
        if (property instanceof Telephone) {
            return ContactField.PHONES;
        }
        if (property instanceof Address || property instanceof Label || property instanceof Geo || property instanceof Timezone) {
            return ContactField.ADDRESSES;
        }
        if (property instanceof Note) {
            return ContactField.NOTES;
        }
        if (property instanceof Photo || property instanceof Logo || property instanceof Sound) {
            return ContactField.PHOTOS;
        }
        if (property instanceof Birthday || property instanceof Anniversary || property instanceof Deathdate
                || property instanceof Birthplace || property instanceof Deathplace) {
            return ContactField.BIRTHDAY;
        }
        if (property instanceof Organization) {
            return ContactField.COMPANY;
        }
        if (property instanceof Title || property instanceof Role) {
            return ContactField.JOB_TITLE;
        }
        return ContactField.CUSTOM;
    }

    private static String kind(ContactField field) {
        return switch (field) {
            case NAMES -> "n";
            case EMAILS -> "e";
            case PHONES -> "p";
            case ADDRESSES -> "a";
            case NOTES -> "nt";
            case PHOTOS -> "ph";
            case BIRTHDAY -> "b";
            case COMPANY -> "o";
            case JOB_TITLE -> "t";
            case CUSTOM -> "x";
        };
    }

    private static VCardProperty treat(Pseudonymiser p, ContactsPolicy policy, ContactField field, ContactTreatment t,
                                       VCardProperty property, VCardVersion version, VCard real, String vaultId)
            throws ContactException {
        if (t == ContactTreatment.KEEP) {
            return property.copy();
        }
        if (t == ContactTreatment.DROP) {
            return null;
        }
        String kind = kind(field);
        UnaryOperator<String> atom = switch (t) {
            case TOKEN -> v -> v.isEmpty() ? v : p.token(kind, v);
            case HASH -> v -> v.isEmpty() ? v : p.hash(kind, v);
            // the same value of the same contact seals to the same ciphertext, so a re-run changes nothing in Exchange
            case ENCRYPT -> v -> v.isEmpty() ? v : p.encrypt(kind, v.getBytes(StandardCharsets.UTF_8), vaultId);
            case FPE -> v -> v.isEmpty() ? v : p.fpeDigits(kind, v);
            case ALIAS -> {
                String domain = policy.aliasDomain();
                if (domain == null) {
                    throw new ContactException("contact emails are to become aliases but the policy names no alias"
                            + " domain — set contacts.alias-domain in the policy file");
                }
                // the canonical address, as mail's aliases are made of: Bob@Bücher.example and
                // bob@xn--bcher-kva.example are one person with one alias (a probe's contact got another than his mail)
                yield v -> v.isEmpty() ? v : p.alias(canonicalAddress(v), domain);
            }
            default -> throw new IllegalStateException("treatment " + t);
        };
        if (t == ContactTreatment.FPE && field != ContactField.PHONES || t == ContactTreatment.ALIAS && field != ContactField.EMAILS) {
            throw new ContactException("treatment '" + t.key() + "' does not apply to " + field.key()
                    + " (the policy check refuses this; was the ContactsPolicy built by hand?)");
        }
        VCardProperty out = typed(property, atom, version);
        if (out == null) {
            out = raw(property, atom, version, real);
        }
        out.setGroup(group(p, property.getGroup()));
        out.setParameters(safeParameters(property.getParameters()));
        return out;
    }

    /** The same property type with each text atom replaced, for the properties the Graph mapping reads; else null. */
    private static VCardProperty typed(VCardProperty property, UnaryOperator<String> atom, VCardVersion version) {
        if (property instanceof FormattedName fn) {
            return new FormattedName(atom.apply(nn(fn.getValue())));
        }
        if (property instanceof StructuredName n) {
            StructuredName out = new StructuredName();
            out.setFamily(n.getFamily() == null ? null : atom.apply(n.getFamily()));
            out.setGiven(n.getGiven() == null ? null : atom.apply(n.getGiven()));
            n.getAdditionalNames().forEach(v -> out.getAdditionalNames().add(atom.apply(v)));
            n.getPrefixes().forEach(v -> out.getPrefixes().add(atom.apply(v)));
            n.getSuffixes().forEach(v -> out.getSuffixes().add(atom.apply(v)));
            return out;
        }
        if (property instanceof Nickname nick) {
            Nickname out = new Nickname();
            nick.getValues().forEach(v -> out.getValues().add(atom.apply(v)));
            return out;
        }
        if (property instanceof SortString s) {
            return new SortString(atom.apply(nn(s.getValue())));
        }
        if (property instanceof Email e) {
            return new Email(atom.apply(nn(e.getValue())));
        }
        if (property instanceof Telephone tel) {
            String number = tel.getText() != null ? tel.getText() : tel.getUri() == null ? "" : tel.getUri().getNumber();
            return new Telephone(atom.apply(number));
        }
        if (property instanceof Address a) {
            Address out = new Address();
            a.getPoBoxes().forEach(v -> out.getPoBoxes().add(atom.apply(v)));
            a.getExtendedAddresses().forEach(v -> out.getExtendedAddresses().add(atom.apply(v)));
            a.getStreetAddresses().forEach(v -> out.getStreetAddresses().add(atom.apply(v)));
            a.getLocalities().forEach(v -> out.getLocalities().add(atom.apply(v)));
            a.getRegions().forEach(v -> out.getRegions().add(atom.apply(v)));
            a.getPostalCodes().forEach(v -> out.getPostalCodes().add(atom.apply(v)));
            a.getCountries().forEach(v -> out.getCountries().add(atom.apply(v)));
            return out;
        }
        if (property instanceof Note note) {
            return new Note(atom.apply(nn(note.getValue())));
        }
        if (property instanceof Organization org) {
            Organization out = new Organization();
            org.getValues().forEach(v -> out.getValues().add(atom.apply(v)));
            return out;
        }
        if (property instanceof Title title) {
            return new Title(atom.apply(nn(title.getValue())));
        }
        if (property instanceof Role role) {
            return new Role(atom.apply(nn(role.getValue())));
        }
        if (property instanceof Birthday || property instanceof Anniversary) {
            String text = valueText(property, version, null);
            return property instanceof Birthday ? new Birthday(atom.apply(text)) : new Anniversary(atom.apply(text));
        }
        return null;
    }

    /**
     * Any other property: one text value made from its whole value as ez-vcard writes it (binary data as base64), under
     * the same name — or {@code X-VEIL-<NAME>} for photos, logos and sounds, whose sealed value is no longer an image.
     */
    private static VCardProperty raw(VCardProperty property, UnaryOperator<String> atom, VCardVersion version, VCard real) {
        String value;
        if (property instanceof Agent agent && agent.getVCard() != null) {
            value = Base64.getEncoder().encodeToString(CardCodec.encode(agent.getVCard()));
        } else {
            value = valueText(property, version, real);
        }
        String name = name(property);
        if (property instanceof Photo || property instanceof Logo || property instanceof Sound) {
            name = "X-VEIL-" + name;
        }
        return new RawProperty(name, atom.apply(value));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static String valueText(VCardProperty property, VCardVersion version, VCard real) {
        VCardPropertyScribe scribe = property instanceof RawProperty r ? new RawPropertyScribe(r.getPropertyName())
                : SCRIBES.getPropertyScribe(property);
        if (scribe == null) {
            return String.valueOf(property);
        }
        try {
            return nn(scribe.writeText(property, new WriteContext(version, null, false)));
        } catch (RuntimeException e) {
            return String.valueOf(property); // a value ez-vcard cannot write: its whole description, treated the same way
        }
    }

    private static String name(VCardProperty property) {
        if (property instanceof RawProperty raw) {
            return raw.getPropertyName();
        }
        VCardPropertyScribe<? extends VCardProperty> scribe = SCRIBES.getPropertyScribe(property);
        return scribe == null ? "X-VEIL-UNKNOWN" : scribe.getPropertyName();
    }

    /** {@code item1}-style groups stay (they tie a label to its value); any other group name could be text a person chose. */
    private static String group(Pseudonymiser p, String group) {
        if (group == null || PLAIN_GROUP.matcher(group).matches()) {
            return group;
        }
        return p.hash("g", group);
    }

    private static VCardParameters safeParameters(VCardParameters real) {
        VCardParameters out = new VCardParameters();
        for (var e : real) {
            String name = e.getKey() == null ? "" : e.getKey().toUpperCase(Locale.ROOT);
            if (!SAFE_PARAMETERS.contains(name)) {
                continue;
            }
            for (String v : e.getValue()) {
                if (!name.equals("TYPE") || SAFE_TYPES.contains(v.toLowerCase(Locale.ROOT))) {
                    out.put(e.getKey(), v);
                }
            }
        }
        return out;
    }

    private static String nn(String s) {
        return s == null ? "" : s;
    }

    /** The address as {@link dev.veil.gateway.correspondents.AliasDirectory#canonicalAddress} makes it, or as it is if it cannot. */
    static String canonicalAddress(String address) {
        String bare = address.strip();
        if (bare.startsWith("<") && bare.endsWith(">")) {
            bare = bare.substring(1, bare.length() - 1);
        }
        return dev.veil.gateway.correspondents.AliasDirectory.canonicalAddress(bare).orElse(address);
    }
}
