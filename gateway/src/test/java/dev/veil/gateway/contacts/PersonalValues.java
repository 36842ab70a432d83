package dev.veil.gateway.contacts;

import ezvcard.VCard;
import ezvcard.VCardVersion;
import ezvcard.io.scribe.RawPropertyScribe;
import ezvcard.io.scribe.ScribeIndex;
import ezvcard.io.scribe.VCardPropertyScribe;
import ezvcard.io.text.WriteContext;
import ezvcard.property.Address;
import ezvcard.property.BinaryProperty;
import ezvcard.property.Email;
import ezvcard.property.FormattedName;
import ezvcard.property.Kind;
import ezvcard.property.Nickname;
import ezvcard.property.Note;
import ezvcard.property.ProductId;
import ezvcard.property.RawProperty;
import ezvcard.property.Revision;
import ezvcard.property.StructuredName;
import ezvcard.property.Telephone;
import ezvcard.property.Uid;
import ezvcard.property.VCardProperty;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The personal values of a real card, taken with ez-vcard's own accessors (independent of the sealer's code): names,
 * emails, phones, address components and labels, notes, photo bytes, and the text of every other property
 * (organisation, title, custom X- properties), since the default policy keeps none of them.
 */
final class PersonalValues {
    private static final ScribeIndex SCRIBES = new ScribeIndex();

    private PersonalValues() {
    }

    static List<String> of(VCard card) {
        List<String> out = new ArrayList<>();
        for (VCardProperty p : card.getProperties()) {
            if (p instanceof Uid || p instanceof Revision || p instanceof ProductId || p instanceof Kind) {
                continue;
            }
            if (p instanceof FormattedName fn) {
                out.add(fn.getValue());
            } else if (p instanceof StructuredName n) {
                out.add(n.getFamily());
                out.add(n.getGiven());
                out.addAll(n.getAdditionalNames());
                out.addAll(n.getPrefixes());
                out.addAll(n.getSuffixes());
            } else if (p instanceof Nickname nick) {
                out.addAll(nick.getValues());
            } else if (p instanceof Email e) {
                out.add(e.getValue());
            } else if (p instanceof Telephone t) {
                out.add(t.getText());
                out.add(t.getUri() == null ? null : t.getUri().getNumber());
            } else if (p instanceof Address a) {
                out.addAll(a.getStreetAddresses());
                out.addAll(a.getLocalities());
                out.addAll(a.getRegions());
                out.addAll(a.getPostalCodes());
                out.addAll(a.getCountries());
                out.addAll(a.getPoBoxes());
                out.addAll(a.getExtendedAddresses());
                out.add(a.getLabel());
            } else if (p instanceof Note note) {
                out.add(note.getValue());
            } else if (p instanceof BinaryProperty<?> b) {
                if (b.getData() != null) {
                    out.add(Base64.getEncoder().encodeToString(b.getData()));
                    out.add(Base64.getMimeEncoder().encodeToString(b.getData()).lines().findFirst().orElse(""));
                }
                out.add(b.getUrl());
            } else {
                String text = text(p, card.getVersion());
                out.add(text);
                for (String part : text.split("(?<!\\\\)[;,]")) {
                    out.add(part);
                }
            }
            p.getParameters().forEach(e -> {
                if (e.getKey() != null && (e.getKey().equalsIgnoreCase("LABEL") || e.getKey().equalsIgnoreCase("SORT-AS"))) {
                    out.addAll(e.getValue());
                }
            });
        }
        return out.stream().filter(v -> v != null && !v.isBlank()).map(String::strip).distinct().toList();
    }

    /**
     * Whether {@code value} occurs in a sealed card's text (its VERSION line aside): anywhere if 6 or more characters
     * long; shorter ones as a whole word (not inside a token, hash or base64 ciphertext, where any short string turns
     * up by chance).
     */
    static boolean occursIn(String value, String sealedText) {
        // unfolded first: a fold can split a token so that a piece of it stands alone at a line start (a test saw
        // "LA" after a fold inside an address token)
        String text = sealedText.replaceAll("\r?\n[ \t]", "").replaceAll("(?m)^VERSION:.*$", "");
        if (value.length() >= 6) {
            return text.contains(value);
        }
        return Pattern.compile("(?<![\\p{L}\\p{N}_-])" + Pattern.quote(value) + "(?![\\p{L}\\p{N}_-])").matcher(text).find();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static String text(VCardProperty p, VCardVersion version) {
        VCardPropertyScribe scribe = p instanceof RawProperty r ? new RawPropertyScribe(r.getPropertyName()) : SCRIBES.getPropertyScribe(p);
        try {
            return scribe.writeText(p, new WriteContext(version, null, false));
        } catch (RuntimeException e) {
            return "";
        }
    }
}
