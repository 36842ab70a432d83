package dev.veil.gateway.contacts;

import ezvcard.VCard;
import ezvcard.VCardDataType;
import ezvcard.VCardVersion;
import ezvcard.io.ParseContext;
import ezvcard.io.scribe.RawPropertyScribe;
import ezvcard.io.scribe.ScribeIndex;
import ezvcard.io.scribe.VCardPropertyScribe;
import ezvcard.io.text.WriteContext;
import ezvcard.parameter.VCardParameters;
import ezvcard.property.Agent;
import ezvcard.property.RawProperty;
import ezvcard.property.SimpleProperty;
import ezvcard.property.VCardProperty;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The vault's lossless form of a parsed vCard: every property as (name, group, parameters exactly as parsed, data
 * type, value as ez-vcard's own scribe writes it for the card's version), in a small length-prefixed binary layout.
 *
 * <p>Why not vCard text: writing a 2.1 card back through ez-vcard's text writer is not an identity on the parsed
 * form — it adds {@code CHARSET=UTF-8} to quoted-printable values that had none, and its quoted-printable line
 * folding lost a space in a corpus card. Going through the scribes alone (the same code the reader and writer use
 * for values) skips that layer: parameters are stored verbatim, values are written and re-read by the same scribe.
 * Embedded vCards (2.1/3.0 {@code AGENT}) are stored recursively.
 */
final class CardCodec {
    private static final int MAGIC = 0x56433031; // "VC01"
    private static final byte PLAIN = 'P';
    private static final byte EMBEDDED = 'E';
    private static final ScribeIndex SCRIBES = new ScribeIndex();

    private CardCodec() {
    }

    static byte[] encode(VCard card) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            write(out, card);
        } catch (IOException e) {
            throw new IllegalStateException("in-memory stream failed", e); // cannot happen
        }
        return bytes.toByteArray();
    }

    /** The card back; an {@link IllegalArgumentException} if the bytes are not an encoded card. */
    static VCard decode(byte[] encoded) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException("not a Veil vault card (bad magic)");
            }
            return read(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated vault card: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void write(DataOutputStream out, VCard card) throws IOException {
        VCardVersion version = card.getVersion() == null ? VCardVersion.V3_0 : card.getVersion();
        string(out, version.getVersion());
        List<VCardProperty> properties = new ArrayList<>(card.getProperties());
        out.writeInt(properties.size());
        WriteContext context = new WriteContext(version, null, false);
        for (VCardProperty p : properties) {
            VCardPropertyScribe scribe = scribe(p);
            boolean embedded = p instanceof Agent a && a.getVCard() != null;
            out.writeByte(embedded ? EMBEDDED : PLAIN);
            string(out, p instanceof RawProperty raw ? raw.getPropertyName() : scribe.getPropertyName());
            string(out, p.getGroup());
            parameters(out, p.getParameters());
            if (embedded) {
                write(out, ((Agent) p).getVCard());
                continue;
            }
            // what a writer would put on the line: the scribe may need it (e.g. ENCODING=b) to read the value back
            VCardParameters prepared = scribe.prepareParameters(p, version, card);
            VCardDataType type = scribe.dataType(p, version);
            parameters(out, prepared);
            string(out, type == null ? null : type.getName());
            string(out, losslessText(scribe, p, version, prepared, type, context));
        }
    }

    /**
     * The value text that reads back as the same property. ez-vcard's writer is not always the inverse of its reader:
     * it drops an empty last component ({@code ORG:Smith Auto Repair;}) and the milliseconds of a timestamp
     * ({@code REV}). Each property is read back here and compared; the known fixes are tried in turn, and a property
     * that still differs is refused rather than stored altered.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static String losslessText(VCardPropertyScribe scribe, VCardProperty p, VCardVersion version,
                                       VCardParameters prepared, VCardDataType type, WriteContext context) {
        String text = scribe.writeText(p, context);
        if (readsBackAs(text, p, version, prepared, type)) {
            return text;
        }
        String trailing = scribe.writeText(p, new WriteContext(version, null, true));
        if (readsBackAs(trailing, p, version, prepared, type)) {
            return trailing;
        }
        if (p instanceof SimpleProperty<?> simple && simple.getValue() instanceof java.time.temporal.Temporal t) {
            String precise = preciseTimestamp(t);
            if (precise != null && readsBackAs(precise, p, version, prepared, type)) {
                return precise;
            }
        }
        throw new IllegalArgumentException("the " + scribe.getPropertyName() + " property cannot be stored without"
                + " changing it (ez-vcard writes it back differently): " + p);
    }

    private static String preciseTimestamp(java.time.temporal.Temporal t) {
        try {
            return java.time.format.DateTimeFormatter.ISO_INSTANT.format(java.time.Instant.from(t));
        } catch (java.time.DateTimeException e) {
            try {
                return java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t);
            } catch (java.time.DateTimeException e2) {
                return null;
            }
        }
    }

    private static boolean readsBackAs(String text, VCardProperty p, VCardVersion version, VCardParameters prepared,
                                       VCardDataType type) {
        try {
            VCardProperty back = parse(p instanceof RawProperty raw ? raw.getPropertyName() : null, p, text, version,
                    new VCardParameters(prepared), type);
            back.setParameters(p.getParameters());
            back.setGroup(p.getGroup());
            return back.equals(p);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static VCardProperty parse(String rawName, VCardProperty original, String value, VCardVersion version,
                                       VCardParameters prepared, VCardDataType type) {
        VCardPropertyScribe<? extends VCardProperty> scribe = rawName != null ? new RawPropertyScribe(rawName)
                : SCRIBES.getPropertyScribe(original);
        prepared.setValue(null);
        ParseContext context = new ParseContext();
        context.setVersion(version);
        return scribe.parseText(value, type == null ? scribe.defaultDataType(version) : type, prepared, context);
    }

    private static VCard read(DataInputStream in) throws IOException {
        VCardVersion version = VCardVersion.valueOfByStr(string(in));
        VCard card = new VCard(version);
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            byte kind = in.readByte();
            String name = string(in);
            String group = string(in);
            VCardParameters parameters = parameters(in);
            VCardProperty p;
            if (kind == EMBEDDED) {
                p = new Agent(read(in));
            } else {
                VCardParameters prepared = parameters(in);
                String type = string(in);
                String value = string(in);
                VCardPropertyScribe<? extends VCardProperty> scribe = SCRIBES.getPropertyScribe(name);
                if (scribe == null) {
                    scribe = new RawPropertyScribe(name);
                }
                VCardDataType dataType = type == null ? scribe.defaultDataType(version) : VCardDataType.get(type);
                prepared.setValue(null);
                ParseContext context = new ParseContext();
                context.setVersion(version);
                context.setPropertyName(name);
                try {
                    p = scribe.parseText(value, dataType, prepared, context);
                } catch (RuntimeException e) {
                    // the original was read the same way as a raw property (ez-vcard's own fallback)
                    p = new RawProperty(name, value, dataType);
                }
            }
            p.setParameters(parameters);
            p.setGroup(group);
            card.addProperty(p);
        }
        return card;
    }

    private static VCardPropertyScribe<? extends VCardProperty> scribe(VCardProperty p) {
        if (p instanceof RawProperty raw) {
            return new RawPropertyScribe(raw.getPropertyName());
        }
        VCardPropertyScribe<? extends VCardProperty> s = SCRIBES.getPropertyScribe(p);
        if (s == null) {
            throw new IllegalArgumentException("no ez-vcard scribe for " + p.getClass().getName());
        }
        return s;
    }

    private static void parameters(DataOutputStream out, VCardParameters parameters) throws IOException {
        List<Map.Entry<String, List<String>>> entries = new ArrayList<>();
        parameters.forEach(entries::add);
        out.writeInt(entries.size());
        for (Map.Entry<String, List<String>> e : entries) {
            string(out, e.getKey());
            out.writeInt(e.getValue().size());
            for (String v : e.getValue()) {
                string(out, v);
            }
        }
    }

    private static VCardParameters parameters(DataInputStream in) throws IOException {
        VCardParameters parameters = new VCardParameters();
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            String name = string(in);
            int values = in.readInt();
            for (int j = 0; j < values; j++) {
                parameters.put(name, string(in));
            }
        }
        return parameters;
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String string(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        if (n > in.available()) {
            throw new IOException("string of " + n + " bytes runs past the end");
        }
        byte[] b = in.readNBytes(n);
        return new String(b, StandardCharsets.UTF_8);
    }
}
