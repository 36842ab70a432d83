package dev.veil.gateway.contacts;

import ezvcard.VCard;
import ezvcard.VCardVersion;
import ezvcard.io.text.VCardWriter;
import ezvcard.property.RawProperty;
import ezvcard.property.Revision;
import ezvcard.property.VCardProperty;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading and writing .vcf files without losing what ez-vcard can keep. Reading is {@link CardFile}'s (each line in
 * its own charset) plus each card's original bytes. Writing: a card that comes with its original bytes (imported from a
 * file and not edited since) is written as those bytes, so an export gives back exactly what was imported; any other
 * card is written by ez-vcard in its own version, lines not folded (folding broke quoted-printable values at spaces),
 * trailing empty components kept ({@code ORG:Acme;}), properties a version does not define written anyway, and
 * timestamps with their milliseconds.
 */
public final class VCardFiles {

    private VCardFiles() {
    }

    /**
     * One card of a file: where it starts, and either the card or why it cannot be imported as it is. {@code notes}
     * are ez-vcard's warnings that lose nothing (the value is kept as it was); {@code original} is the card's exact
     * bytes in the file, which the vault keeps so that an export gives them back unchanged.
     */
    public record Card(Path file, int line, int index, VCard card, String problem, List<String> notes, byte[] original) {
        public boolean ok() {
            return problem == null;
        }

        /** {@code FILE:LINE (card N)}, how errors name a card. */
        public String where() {
            return file.getFileName() + ":" + line + " (card " + index + ")";
        }
    }

    /** The cards of a file, read by {@link CardFile} (each line in its own charset; broken cards named, the rest read). */
    public static List<Card> read(Path file) throws IOException {
        List<Card> cards = new ArrayList<>();
        for (CardFile.Entry e : CardFile.read(file.getFileName().toString(), Files.readAllBytes(file))) {
            String problem = e.ok() ? null : "not imported, it would lose data: " + String.join("; ", e.problems())
                    + " (fix the file, or export the contact again, and import again)";
            cards.add(new Card(file, e.line(), e.index(), e.card(), problem, e.notes(), e.original()));
        }
        return cards;
    }

    /**
     * The bytes of a .vcf file holding these cards, in order: each card's original bytes if it has them (with a CRLF
     * added if they end without a line break), else ez-vcard's text of it in UTF-8. A card ez-vcard writes loses a
     * {@code CHARSET} other than UTF-8 (its value is kept; the bytes written are UTF-8, so the parameter says so).
     */
    public static byte[] writeFile(List<VaultedCard> cards) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (VaultedCard card : cards) {
            byte[] original = card.original();
            if (original != null) {
                out.writeBytes(original);
                if (original[original.length - 1] != '\n') {
                    out.writeBytes(new byte[] {'\r', '\n'});
                }
            } else {
                out.writeBytes(write(inUtf8(card.card())).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }

    /** The card with every CHARSET parameter saying UTF-8, the charset its written text will be in. */
    private static VCard inUtf8(VCard card) {
        boolean other = card.getProperties().stream().anyMatch(p -> p.getParameters().getCharset() != null
                && !p.getParameters().getCharset().equalsIgnoreCase("UTF-8"));
        if (!other) {
            return card;
        }
        VCard copy = new VCard(card);
        for (VCardProperty p : copy.getProperties()) {
            if (p.getParameters().getCharset() != null) {
                p.getParameters().setCharset("UTF-8");
            }
        }
        return copy;
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
}
