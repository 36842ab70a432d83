package dev.veil.tests.support;

import ezvcard.Ezvcard;
import ezvcard.VCard;
import ezvcard.property.Address;
import ezvcard.property.BinaryProperty;
import ezvcard.property.FormattedName;
import ezvcard.property.Nickname;
import ezvcard.property.Note;
import ezvcard.property.Organization;
import ezvcard.property.RawProperty;
import ezvcard.property.StructuredName;
import ezvcard.property.Telephone;
import ezvcard.property.Title;
import ezvcard.property.VCardProperty;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tests' own reading of .vcf files and comparison of cards with ez-vcard (independent of Veil's VCardFiles):
 * property by property, per property name in order, with group, parameters and value. ENCODING and CHARSET are how a
 * value was transferred, not part of it, and are not compared; TYPE values compare case-insensitively (RFC 6350
 * 5.6; ez-vcard writes media types in lower case).
 */
public final class VCardCompare {
    private VCardCompare() {
    }

    /**
     * The cards of a file, each decoded on its own (a file may hold cards in different charsets): UTF-8 if the card's
     * bytes are UTF-8, else the first CHARSET= it names, else windows-1252.
     */
    public static List<VCard> read(Path file) {
        try {
            List<VCard> cards = new ArrayList<>();
            for (byte[] block : cardBlocks(Files.readAllBytes(file))) {
                cards.addAll(Ezvcard.parse(decode(block)).all());
            }
            return cards;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The bytes of each top-level card of a .vcf file: from the start of its BEGIN:VCARD line to the end of its
     * END:VCARD line, without that line's line break. A card without END runs to the end of the file.
     */
    public static List<byte[]> cardBlocks(byte[] bytes) {
        List<byte[]> blocks = new ArrayList<>();
        int depth = 0;
        int begin = -1;
        int start = 0;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            String line = new String(bytes, start, end - start, StandardCharsets.ISO_8859_1).strip().toUpperCase(Locale.ROOT);
            if (line.equals("BEGIN:VCARD")) {
                if (depth++ == 0) {
                    begin = start;
                }
            } else if (line.equals("END:VCARD") && depth > 0 && --depth == 0) {
                int last = end;
                while (last > start && (bytes[last - 1] == '\r')) {
                    last--;
                }
                blocks.add(java.util.Arrays.copyOfRange(bytes, begin, last));
            }
            start = end + 1;
        }
        if (depth > 0) {
            blocks.add(java.util.Arrays.copyOfRange(bytes, begin, bytes.length));
        }
        return blocks;
    }

    private static String decode(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            Matcher m = Pattern.compile("(?i)CHARSET=([A-Za-z0-9_\\-]+)").matcher(new String(bytes, StandardCharsets.ISO_8859_1));
            while (m.find()) {
                try {
                    Charset c = Charset.forName(m.group(1));
                    if (!c.equals(StandardCharsets.UTF_8)) {
                        return new String(bytes, c);
                    }
                } catch (RuntimeException unknown) {
                    // next
                }
            }
            return new String(bytes, Charset.forName("windows-1252"));
        }
    }

    /** Differences between two cards, as readable lines; empty when they are the same. */
    public static List<String> differences(VCard expected, VCard actual) {
        List<String> out = new ArrayList<>();
        if (expected.getVersion() != actual.getVersion()) {
            out.add("version " + expected.getVersion() + " became " + actual.getVersion());
        }
        Map<String, List<VCardProperty>> a = byName(expected);
        Map<String, List<VCardProperty>> b = byName(actual);
        for (String name : union(a, b)) {
            List<VCardProperty> x = a.getOrDefault(name, List.of());
            List<VCardProperty> y = b.getOrDefault(name, List.of());
            if (x.size() != y.size()) {
                out.add(name + ": " + x.size() + " properties became " + y.size() + ": " + x + " -> " + y);
                continue;
            }
            for (int i = 0; i < x.size(); i++) {
                VCardProperty p = normal(x.get(i));
                VCardProperty q = normal(y.get(i));
                if (!p.equals(q)) {
                    out.add(name + "[" + i + "]: " + p + " became " + q);
                }
            }
        }
        return out;
    }

    /** The personal values of a card (names, emails, phones, addresses, notes, organisation, title, photos). */
    public static List<String> personalValues(VCard card) {
        List<String> v = new ArrayList<>();
        card.getProperties(FormattedName.class).forEach(p -> v.add(p.getValue()));
        for (StructuredName n : card.getStructuredNames()) {
            v.add(n.getFamily());
            v.add(n.getGiven());
            v.addAll(n.getAdditionalNames());
        }
        card.getProperties(Nickname.class).forEach(p -> v.addAll(p.getValues()));
        card.getEmails().forEach(p -> v.add(p.getValue()));
        for (Telephone t : card.getTelephoneNumbers()) {
            v.add(t.getText() != null ? t.getText() : t.getUri() == null ? null : t.getUri().getNumber());
        }
        for (Address adr : card.getAddresses()) {
            v.addAll(adr.getStreetAddresses());
            v.addAll(adr.getExtendedAddresses());
            v.addAll(adr.getLocalities());
            v.addAll(adr.getPostalCodes());
            v.addAll(adr.getPoBoxes());
        }
        card.getProperties(Note.class).forEach(p -> v.add(p.getValue()));
        card.getProperties(Organization.class).forEach(p -> v.addAll(p.getValues()));
        card.getProperties(Title.class).forEach(p -> v.add(p.getValue()));
        for (VCardProperty p : card.getProperties()) {
            if (p instanceof BinaryProperty<?> bin && bin.getData() != null && bin.getData().length >= 16) {
                v.add(Base64.getEncoder().encodeToString(bin.getData()).substring(0, 24));
            }
        }
        List<String> out = new ArrayList<>();
        for (String s : v) {
            if (s != null && !s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }

    private static VCardProperty normal(VCardProperty p) {
        VCardProperty c = p.copy();
        c.getParameters().removeAll("ENCODING");
        c.getParameters().removeAll("CHARSET");
        List<String> types = c.getParameters().removeAll("TYPE");
        for (String t : types) {
            c.getParameters().put("TYPE", t.toUpperCase(Locale.ROOT));
        }
        return c;
    }

    private static Map<String, List<VCardProperty>> byName(VCard card) {
        Map<String, List<VCardProperty>> out = new LinkedHashMap<>();
        for (VCardProperty p : card.getProperties()) {
            String name = p instanceof RawProperty raw ? raw.getPropertyName().toUpperCase(Locale.ROOT)
                    : p.getClass().getSimpleName();
            out.computeIfAbsent(name, k -> new ArrayList<>()).add(p);
        }
        return out;
    }

    private static List<String> union(Map<String, ?> a, Map<String, ?> b) {
        List<String> names = new ArrayList<>(a.keySet());
        b.keySet().stream().filter(k -> !a.containsKey(k)).forEach(names::add);
        return names;
    }

}
