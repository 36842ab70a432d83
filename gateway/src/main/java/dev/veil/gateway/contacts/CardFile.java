package dev.veil.gateway.contacts;

import ezvcard.VCard;
import ezvcard.io.ParseWarning;
import ezvcard.io.text.VCardReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a {@code .vcf} file (one or several cards; vCard 2.1, 3.0, 4.0) with ez-vcard, card by card: a broken card
 * becomes an error naming the file and line, and the other cards of the file are still read.
 *
 * <p>Bytes: a vCard file has no single charset. 2.1 cards from phones carry raw Shift_JIS or Latin-1 bytes with a
 * {@code CHARSET} parameter, others are UTF-8. So the file is decoded line by line: a property line with
 * {@code CHARSET=x} (and its folded continuation lines) in that charset, every other line as UTF-8, or as windows-1252
 * when it is not valid UTF-8 (what Windows programs write); a leading UTF-8 byte order mark is skipped, and a UTF-8
 * character a fold split is put back together (RFC 6350 3.2). Bytes that are not valid in their charset make their
 * card an error (never replacement characters stored silently).
 *
 * <p>What makes a card an error: a line ez-vcard had to skip (no colon: that line's data would be lost), a charset
 * this JVM does not know, a quoted-printable value that cannot be decoded, a property its scribe asked to skip, and a
 * card without {@code END:VCARD}. Other ez-vcard warnings (a value it keeps as an unparsed raw property, an odd
 * parameter) lose nothing and are returned as notes.
 */
public final class CardFile {
    /** ez-vcard warning codes that mean data of the card was dropped or garbled (see its messages.properties). */
    private static final Set<Integer> FATAL = Set.of(22, 23, 27, 38);
    private static final Pattern CHARSET = Pattern.compile("(?i);\\s*CHARSET\\s*=\\s*\"?([A-Za-z0-9._:+-]+)");

    /**
     * One card of a file: either {@code card} (with notes) or {@code error}.
     *
     * @param location {@code FILE:LINE} of its {@code BEGIN:VCARD}
     * @param line     that line (1-based)
     * @param problems for an error, each thing that is wrong, as {@code FILE:LINE: what}
     * @param original the card's exact bytes in the file, from its {@code BEGIN:VCARD} line to the end of its
     *                 {@code END:VCARD} line (with that line's line break, if it has one); empty if the card's lines
     *                 could not be told apart
     */
    public record Entry(String location, int line, int index, VCard card, List<String> notes, ContactException error,
                        List<String> problems, byte[] original) {
        public boolean ok() {
            return error == null;
        }
    }

    private CardFile() {
    }

    public static List<Entry> read(Path file) throws IOException {
        return read(file.toString(), Files.readAllBytes(file));
    }

    /** {@code name} is what error messages call the input (a file name). */
    public static List<Entry> read(String name, byte[] bytes) throws IOException {
        if (bytes.length >= 2 && ((bytes[0] & 0xff) == 0xFE && (bytes[1] & 0xff) == 0xFF
                || (bytes[0] & 0xff) == 0xFF && (bytes[1] & 0xff) == 0xFE)) {
            throw new IOException(name + " is UTF-16 (it starts with a UTF-16 byte order mark): Veil reads vCard files"
                    + " in UTF-8, windows-1252 or the CHARSET a property names — save it as UTF-8");
        }
        Decoded decoded = decode(bytes);
        List<Entry> entries = new ArrayList<>();
        int index = 0;
        // each card is read on its own, from its own lines: a card without END:VCARD ends where the next one begins,
        // instead of taking the cards after it in as nested ones (a black-box probe's file lost two good cards so,
        // unreported)
        for (int[] range : cardRanges(decoded.lines)) {
            byte[] original = decoded.slice(bytes, range);
            String location = name + ":" + range[0];
            List<String> errors = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            VCard card;
            try (VCardReader reader = new VCardReader(String.join("\n",
                    decoded.lines.subList(range[0] - 1, range[2])))) {
                card = reader.readNext();
                for (ParseWarning w : reader.getWarnings()) {
                    Integer line = w.getLineNumber();
                    String where = name + ":" + (line == null ? range[0] : range[0] - 1 + line) + ": ";
                    String what = (w.getPropertyName() == null ? "" : w.getPropertyName() + ": ") + w.getMessage();
                    if (w.getCode() != null && FATAL.contains(w.getCode())) {
                        errors.add(where + what);
                    } else {
                        notes.add(where + what);
                    }
                }
            }
            for (int bad : decoded.undecodable) {
                if (bad >= range[0] && bad <= range[2]) {
                    errors.add(name + ":" + bad + ": " + decoded.why.get(decoded.undecodable.indexOf(bad)));
                }
            }
            if (range[1] < 0) {
                errors.add(location + ": card has no END:VCARD (the file is cut off, or the card's END:VCARD line is"
                        + " missing)");
            }
            if (card == null) {
                errors.add(location + ": no card could be read from these lines");
            }
            index++;
            if (errors.isEmpty()) {
                entries.add(new Entry(location, range[0], index, card, List.copyOf(notes), null, List.of(), original));
            } else {
                entries.add(new Entry(location, range[0], index, null, List.copyOf(notes), new ContactException(
                        "card " + index + " (" + location + ") is broken and was not read: " + String.join("; ", errors)
                                + " — fix the file (or export the contact again) and re-run"), List.copyOf(errors), original));
            }
        }
        return entries;
    }

    /**
     * 1-based first line, last line ({@code END:VCARD}; -1 when it never ends) and last line that belongs to it of each
     * top-level card. Cards may nest (vCard 2.1 agents; some writers nest cards without one); a card that is still open
     * at the end of the file lacks its {@code END:VCARD}: its own lines stop before the first card begun inside it,
     * and the cards from there on are read as top-level ones again (a black-box probe's two good cards after such a
     * card were taken in as nested and lost, unreported).
     */
    private static List<int[]> cardRanges(List<String> lines) {
        return cardRanges(lines, 0);
    }

    private static List<int[]> cardRanges(List<String> lines, int from) {
        List<int[]> ranges = new ArrayList<>();
        int depth = 0;
        int[] open = null;
        int firstInside = -1;
        for (int i = from; i < lines.size(); i++) {
            String l = lines.get(i).strip().toUpperCase(Locale.ROOT);
            if (l.equals("BEGIN:VCARD")) {
                if (depth++ == 0) {
                    open = new int[] {i + 1, -1, lines.size()};
                    ranges.add(open);
                    firstInside = -1;
                } else if (firstInside < 0) {
                    firstInside = i;
                }
            } else if (l.equals("END:VCARD") && depth > 0) {
                if (--depth == 0) {
                    open[1] = i + 1;
                    open[2] = i + 1;
                }
            }
        }
        if (depth > 0 && firstInside >= 0) {
            open[2] = firstInside; // the line before the first card begun inside the unended one
            ranges.addAll(cardRanges(lines, firstInside));
        }
        return ranges;
    }

    /** The file's lines as text, and where each line starts in the file's bytes. */
    private record Decoded(List<String> lines, List<Integer> undecodable, List<String> why, List<Integer> lineStarts) {
        /** The bytes of lines {@code range[0]..range[1]} (1-based, inclusive), with the last one's line break. */
        byte[] slice(byte[] bytes, int[] range) {
            if (range[0] < 1 || range[1] < range[0]) {
                return new byte[0];
            }
            int from = lineStarts.get(range[0] - 1);
            int to = range[1] < lineStarts.size() ? lineStarts.get(range[1]) : bytes.length;
            return java.util.Arrays.copyOfRange(bytes, from, Math.min(to, bytes.length));
        }
    }

    private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");

    private static Decoded decode(byte[] bytes) {
        List<String> lines = new ArrayList<>();
        List<Integer> bad = new ArrayList<>();
        List<String> why = new ArrayList<>();
        List<Integer> lineStarts = new ArrayList<>();
        Charset current = StandardCharsets.UTF_8;
        boolean named = false; // whether the property line named its CHARSET
        // a UTF-8 byte order mark is not part of the first line (ez-vcard would not see BEGIN:VCARD)
        int start = bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB
                && (bytes[2] & 0xff) == 0xBF ? 3 : 0;
        int lineNo = 0;
        int borrowed = 0; // bytes at the start of this continuation line (after its WSP) the previous line took
        while (start <= bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            if (start == bytes.length && end == start && !lines.isEmpty()) {
                break;
            }
            lineNo++;
            lineStarts.add(start);
            boolean continuation = end > start && (bytes[start] == ' ' || bytes[start] == '\t');
            boolean ascii = true;
            for (int i = start; i < end && ascii; i++) {
                ascii = bytes[i] >= 0;
            }
            String text;
            if (ascii) {
                text = new String(bytes, start, end - start, StandardCharsets.US_ASCII);
                if (!continuation) {
                    current = charsetOf(text, lineNo, bad, why);
                    named = CHARSET.matcher(headOf(text)).find();
                }
                borrowed = 0;
            } else {
                if (!continuation) {
                    String head = new String(bytes, start, end - start, StandardCharsets.ISO_8859_1);
                    current = charsetOf(headOf(head), lineNo, bad, why);
                    named = CHARSET.matcher(headOf(head)).find();
                }
                int from = start;
                String lead = "";
                if (continuation && borrowed > 0) {
                    lead = new String(bytes, start, 1, StandardCharsets.US_ASCII); // the fold's WSP
                    from = start + 1 + borrowed;
                }
                borrowed = 0;
                int taken = current == StandardCharsets.UTF_8 ? splitCharacter(bytes, from, end) : 0;
                String decoded = strict(current, bytes, from, end - from, end, taken);
                if (decoded == null && !named && current == StandardCharsets.UTF_8) {
                    // no CHARSET and not UTF-8: what Windows programs write (see CONTACTS.md)
                    decoded = strict(WINDOWS_1252, bytes, from, end - from, end, 0);
                    if (decoded != null) {
                        current = WINDOWS_1252; // its continuation lines too
                        taken = 0;
                    }
                }
                if (decoded == null) {
                    bad.add(lineNo);
                    why.add("bytes that are not valid " + current.name() + (current == StandardCharsets.UTF_8
                            ? " (nor windows-1252, and the property has no CHARSET parameter)" : ""));
                    decoded = new String(bytes, from, end - from, current);
                    taken = 0;
                }
                borrowed = taken;
                text = lead + decoded;
            }
            lines.add(text);
            start = end + 1;
        }
        return new Decoded(lines, bad, why, lineStarts);
    }

    private static String headOf(String line) {
        int colon = line.indexOf(':');
        return colon < 0 ? "" : line.substring(0, colon);
    }

    /**
     * A UTF-8 character that a fold split (RFC 6350 3.2: unfolding should put it back together): how many bytes the
     * next line, after its leading WSP, holds of the character this line ends with; 0 when there is none.
     */
    private static int splitCharacter(byte[] bytes, int from, int end) {
        int textEnd = end > from && bytes[end - 1] == '\r' ? end - 1 : end;
        int lead = textEnd - 1;
        while (lead >= from && lead > textEnd - 4 && (bytes[lead] & 0xC0) == 0x80) {
            lead--;
        }
        if (lead < from || (bytes[lead] & 0xC0) != 0xC0) {
            return 0;
        }
        int length = (bytes[lead] & 0xE0) == 0xC0 ? 2 : (bytes[lead] & 0xF0) == 0xE0 ? 3 : (bytes[lead] & 0xF8) == 0xF0 ? 4 : 0;
        int missing = length - (textEnd - lead);
        int next = end + 1; // the next line
        if (missing <= 0 || next >= bytes.length || (bytes[next] != ' ' && bytes[next] != '\t')) {
            return 0;
        }
        for (int i = 0; i < missing; i++) {
            int at = next + 1 + i;
            if (at >= bytes.length || (bytes[at] & 0xC0) != 0x80) {
                return 0;
            }
        }
        return missing;
    }

    private static Charset charsetOf(String header, int lineNo, List<Integer> bad, List<String> why) {
        int colon = header.indexOf(':');
        Matcher m = CHARSET.matcher(colon < 0 ? header : header.substring(0, colon));
        if (!m.find()) {
            return StandardCharsets.UTF_8;
        }
        try {
            return Charset.forName(m.group(1));
        } catch (UnsupportedCharsetException | IllegalCharsetNameException e) {
            bad.add(lineNo);
            why.add("unknown charset '" + m.group(1) + "'");
            return StandardCharsets.UTF_8;
        }
    }

    /**
     * {@code bytes[offset, end)} and the {@code taken} bytes that follow the next line's WSP (a character a fold split),
     * decoded strictly; null when they are not valid in {@code charset}.
     */
    private static String strict(Charset charset, byte[] bytes, int offset, int length, int end, int taken) {
        byte[] chunk;
        if (taken == 0) {
            chunk = java.util.Arrays.copyOfRange(bytes, offset, offset + length);
        } else {
            // this line's text, the rest of its last character from the next line (past '\n' and the WSP), its CR
            boolean cr = end > offset && bytes[end - 1] == '\r';
            int textEnd = cr ? end - 1 : end;
            chunk = new byte[textEnd - offset + taken + (cr ? 1 : 0)];
            System.arraycopy(bytes, offset, chunk, 0, textEnd - offset);
            System.arraycopy(bytes, end + 2, chunk, textEnd - offset, taken);
            if (cr) {
                chunk[chunk.length - 1] = '\r';
            }
        }
        CharsetDecoder decoder = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return decoder.decode(ByteBuffer.wrap(chunk)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
