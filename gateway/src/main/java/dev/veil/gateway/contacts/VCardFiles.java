package dev.veil.gateway.contacts;

import ezvcard.VCard;
import ezvcard.VCardVersion;
import ezvcard.io.ParseWarning;
import ezvcard.io.text.VCardReader;
import ezvcard.io.text.VCardWriter;
import ezvcard.property.RawProperty;
import ezvcard.property.Revision;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading and writing .vcf files without losing what ez-vcard can keep: the file's charset is found (UTF-8, else the
 * first {@code CHARSET=} a vCard 2.1 file names, else windows-1252), every card keeps its own version, lines are not
 * folded (folding broke quoted-printable values at spaces), trailing empty components are kept ({@code ORG:Acme;}),
 * properties a version does not define are written anyway, and timestamps keep their milliseconds.
 */
public final class VCardFiles {
    /** ez-vcard's warning code for a line it skipped (no colon): its data would be lost. */
    private static final int SKIPPED_LINE = 27;
    private static final Pattern CHARSET = Pattern.compile("(?i)CHARSET=\"?([A-Za-z0-9_\\-.]+)");

    private VCardFiles() {
    }

    /**
     * One card of a file: where it starts, and either the card or why it cannot be imported as it is. {@code notes}
     * are ez-vcard's warnings that lose nothing (the value is kept as it was).
     */
    public record Card(Path file, int line, int index, VCard card, String problem, List<String> notes) {
        public boolean ok() {
            return problem == null;
        }

        /** {@code FILE:LINE (card N)}, how errors name a card. */
        public String where() {
            return file.getFileName() + ":" + line + " (card " + index + ")";
        }
    }

    public static List<Card> read(Path file) throws IOException {
        String text = decode(Files.readAllBytes(file));
        List<Integer> starts = cardStarts(text);
        List<Card> cards = new ArrayList<>();
        try (VCardReader reader = new VCardReader(new StringReader(text))) {
            VCard card;
            while ((card = reader.readNext()) != null) {
                int index = cards.size() + 1;
                int line = index <= starts.size() ? starts.get(index - 1) : 0;
                String problem = null;
                List<String> notes = new ArrayList<>();
                for (ParseWarning w : reader.getWarnings()) {
                    String said = (w.getLineNumber() == null ? "" : "line " + w.getLineNumber() + ": ") + w.getMessage();
                    if (w.getCode() != null && w.getCode() == SKIPPED_LINE) {
                        problem = problem == null ? said : problem + "; " + said;
                    } else {
                        notes.add(said);
                    }
                }
                if (problem != null) {
                    problem = "not imported, it would lose data: " + problem
                            + " (a line without a colon: a folded line that lost its leading space, or a bare line break inside"
                            + " a value; fix the file and import again)";
                }
                cards.add(new Card(file, line, index, card, problem, notes));
            }
        }
        return cards;
    }

    /** Cards as one .vcf text, each in its own version. */
    public static String write(List<VCard> cards) {
        StringWriter out = new StringWriter();
        try {
            for (VCard card : cards) {
                VCardWriter writer = writer(out, card);
                writer.write(keepMilliseconds(card));
                writer.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    public static String write(VCard card) {
        return write(List.of(card));
    }

    private static VCardWriter writer(StringWriter out, VCard card) {
        VCardVersion version = card.getVersion() == null ? VCardVersion.V3_0 : card.getVersion();
        VCardWriter writer = new VCardWriter(out, version);
        writer.setAddProdId(false);
        writer.setVersionStrict(false);
        writer.setIncludeTrailingSemicolons(true);
        writer.getVObjectWriter().getFoldedLineWriter().setLineLength(null);
        return writer;
    }

    /** ez-vcard writes REV without milliseconds; a raw REV with them parses back to the same instant. */
    private static VCard keepMilliseconds(VCard card) {
        boolean any = card.getRevision() != null && card.getRevision().getValue() != null
                && Instant.from(card.getRevision().getValue()).getNano() != 0;
        if (!any) {
            return card;
        }
        VCard copy = new VCard(card);
        Revision rev = copy.getRevision();
        Instant at = Instant.from(rev.getValue());
        RawProperty raw = new RawProperty("REV", at.toString());
        raw.setGroup(rev.getGroup());
        for (java.util.Map.Entry<String, List<String>> p : rev.getParameters()) {
            raw.getParameters().putAll(p.getKey(), p.getValue());
        }
        copy.removeProperties(Revision.class);
        copy.addProperty(raw);
        return copy;
    }

    /** Line numbers (1-based) of the top-level BEGIN:VCARD lines. */
    private static List<Integer> cardStarts(String text) {
        List<Integer> starts = new ArrayList<>();
        int depth = 0;
        int n = 0;
        for (String line : text.split("\r\n|\r|\n", -1)) {
            n++;
            String t = line.strip().toUpperCase(Locale.ROOT);
            if (t.endsWith("BEGIN:VCARD")) {
                if (depth == 0) {
                    starts.add(n);
                }
                depth++;
            } else if (t.startsWith("END:VCARD") && depth > 0) {
                depth--;
            }
        }
        return starts;
    }

    /** UTF-8 if the bytes are UTF-8; else the first charset a CHARSET parameter names; else windows-1252. */
    static String decode(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException notUtf8) {
            Matcher m = CHARSET.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
            while (m.find()) {
                try {
                    Charset named = Charset.forName(m.group(1));
                    if (!named.equals(StandardCharsets.UTF_8)) {
                        return new String(bytes, named);
                    }
                } catch (RuntimeException unknown) {
                    // try the next one
                }
            }
            return new String(bytes, Charset.forName("windows-1252"));
        }
    }
}
