package dev.veil.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * One header field exactly as it appeared: its name and its raw bytes (all its lines, folding and original
 * line endings included). Immutable.
 */
public final class HeaderField {
    private final String name;
    private final byte[] raw;

    HeaderField(String name, byte[] raw) {
        this.name = name;
        this.raw = raw;
    }

    /** The field name as written (without the colon or any obsolete whitespace before it). */
    public String name() {
        return name;
    }

    /** Case-insensitive name comparison, as RFC 5322 requires. */
    public boolean is(String fieldName) {
        return name.equalsIgnoreCase(fieldName);
    }

    /**
     * Whether white space stands between the name and the colon ({@code From : …}): RFC 5322 4.5's obsolete form,
     * which a reader must take but nobody may write, and which some readers (python3-dkim's) refuse.
     */
    public boolean spaceBeforeColon() {
        return raw.length > name.length() && raw[name.length()] != ':';
    }

    /** The raw bytes without white space before the colon ({@code From: …}); a copy of them when there is none. */
    public byte[] withoutSpaceBeforeColon() {
        int colon = name.length();
        while (colon < raw.length && raw[colon] != ':') {
            colon++;
        }
        if (colon == name.length() || colon == raw.length) {
            return raw();
        }
        byte[] out = new byte[raw.length - (colon - name.length())];
        System.arraycopy(raw, 0, out, 0, name.length());
        System.arraycopy(raw, colon, out, name.length(), raw.length - colon);
        return out;
    }

    /** A copy of the raw bytes, from the first byte of the name to the end of the last line's line break. */
    public byte[] raw() {
        return raw.clone();
    }

    /** Writes the raw bytes without copying them. */
    public void writeTo(OutputStream out) throws IOException {
        out.write(raw);
    }

    private static final java.nio.charset.Charset RAW_8BIT = java.nio.charset.Charset.isSupported("windows-1252")
            ? java.nio.charset.Charset.forName("windows-1252") : StandardCharsets.ISO_8859_1;

    /** UTF-8 when the bytes are UTF-8 (ASCII included), else windows-1252. */
    static String decode(byte[] bytes) {
        boolean ascii = true;
        for (byte b : bytes) {
            ascii &= b >= 0;
        }
        if (ascii) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return new String(bytes, RAW_8BIT);
        }
    }

    /**
     * The value after the colon, unfolded (line breaks removed) and trimmed, decoded as UTF-8 (RFC 6532); bytes that
     * are not UTF-8 are read as windows-1252, as mail programs read raw 8-bit headers (a black-box probe's Latin-1
     * {@code Björn} became {@code Bj\uFFFDrn} in the outer header). Encoded words (RFC 2047) are left as they are.
     */
    public String value() {
        int colon = indexOf(raw, (byte) ':');
        byte[] value = Arrays.copyOfRange(raw, colon + 1, raw.length);
        StringBuilder unfolded = new StringBuilder();
        for (char c : decode(value).toCharArray()) {
            if (c != '\r' && c != '\n') {
                unfolded.append(c);
            }
        }
        return unfolded.toString().strip();
    }

    /**
     * A structured field's value without comments (RFC 5322 3.2.2: nested, with quoted pairs; each one becomes a space,
     * as the CFWS it is), quoted strings kept as they are, line breaks and tabs and runs of spaces outside quotes made
     * one space, trimmed. A comment that is not closed runs to the end.
     */
    public static String withoutComments(String value) {
        StringBuilder out = new StringBuilder(value.length());
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == '\t') {
                c = ' ';
            }
            if (quoted) {
                out.append(c);
                if (c == '\\' && i + 1 < value.length()) {
                    out.append(value.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                }
            } else if (depth > 0) {
                if (c == '\\') {
                    i++;
                } else if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    depth--;
                    if (depth == 0) {
                        out.append(' ');
                    }
                }
            } else if (c == '(') {
                depth++;
            } else {
                if (c == '"') {
                    quoted = true;
                }
                out.append(c);
            }
        }
        return collapseSpacesOutsideQuotes(out.toString().strip());
    }

    private static String collapseSpacesOutsideQuotes(String value) {
        StringBuilder out = new StringBuilder(value.length());
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quoted && c == '\\' && i + 1 < value.length()) {
                out.append(c).append(value.charAt(++i));
                continue;
            }
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ' ' && !quoted && out.length() > 0 && out.charAt(out.length() - 1) == ' ') {
                continue;
            }
            out.append(c);
        }
        return out.toString();
    }

    /**
     * {@code Name: value} and CRLF, folded at spaces so that lines stay within 78 characters where the value allows
     * it (RFC 5322 2.2.3); a run without spaces longer than that stays on one line (998 is the hard limit, and the
     * values Veil writes — addresses, tokens — are far shorter). The value must be one line of ASCII.
     */
    public static byte[] folded(String name, String value) {
        StringBuilder field = new StringBuilder(name).append(':');
        int lineLength = field.length();
        for (String word : value.strip().split("[ \t]+")) {
            if (word.isEmpty()) {
                continue;
            }
            if (lineLength + 1 + word.length() > 78 && lineLength > name.length() + 1) {
                field.append("\r\n");
                lineLength = 0;
            }
            field.append(' ').append(word);
            lineLength += 1 + word.length();
        }
        return field.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** RFC 5322 2.1.1: no line of a message may pass this many octets, CRLF not counted. */
    public static final int MAX_LINE = 998;

    /**
     * A whole field (name, colon, value, line breaks; ISO-8859-1 view of its octets) with every line longer than
     * {@link #MAX_LINE} octets folded, as RFC 5322 2.2.3 allows: a line break put in front of white space it already
     * has (unfolding takes that break out again, so the value reads the same), or, where a line has none, after a
     * comma between list items (outside quotes, comments and angle brackets), with a space added after the break. A
     * line with neither stays as it is. Never folds at the white space right after the colon. Returns {@code field}
     * itself when no line is too long.
     */
    public static String withLinesWithinLimit(String field) {
        String text = field;
        for (int start = 0, end; start < text.length(); start = end + 1) {
            end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            int contentEnd = end > start && text.charAt(end - 1) == '\r' ? end - 1 : end;
            if (contentEnd - start <= MAX_LINE) {
                continue;
            }
            int fold = foldPoint(text, start, start == 0 ? text.indexOf(':') + 1 : start + 1);
            if (fold < 0) {
                continue; // nothing to fold at: the line stays long
            }
            text = text.substring(0, fold) + (isSpace(text.charAt(fold)) ? "\r\n" : "\r\n ") + text.substring(fold);
            end = fold + 1; // the rest of the line is a line of its own now, checked again
        }
        return text;
    }

    /**
     * Where to break the line starting at {@code start}: the last white space within the limit that follows
     * something other than white space from {@code earliest} on (so no line is left empty, nor a first line that
     * ends at the colon), else the position after the last comma within it that separates list items; -1 if none.
     */
    private static int foldPoint(String text, int start, int earliest) {
        int limit = Math.min(text.length() - 1, start + MAX_LINE);
        for (int i = limit; i > Math.max(earliest, start); i--) {
            if (isSpace(text.charAt(i)) && !isSpace(text.charAt(i - 1))) {
                return i;
            }
        }
        // a comma outside quoted strings, comments and angle brackets, tracked from the start of the field
        boolean quoted = false;
        int comments = 0;
        boolean angle = false;
        int found = -1;
        for (int i = 0; i < limit; i++) {
            char c = text.charAt(i);
            if (c == '\\' && (quoted || comments > 0)) {
                i++;
            } else if (quoted) {
                quoted = c != '"';
            } else if (c == '"') {
                quoted = true;
            } else if (c == '(') {
                comments++;
            } else if (c == ')' && comments > 0) {
                comments--;
            } else if (comments == 0 && c == '<') {
                angle = true;
            } else if (comments == 0 && c == '>') {
                angle = false;
            } else if (c == ',' && comments == 0 && !angle && i >= earliest) {
                found = i + 1;
            }
        }
        return found;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }

    String lowerCaseName() {
        return name.toLowerCase(Locale.ROOT);
    }

    private static int indexOf(byte[] bytes, byte wanted) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == wanted) {
                return i;
            }
        }
        return bytes.length - 1;
    }

    @Override
    public String toString() {
        // Values may be personal data (addresses, subjects): keep them out of logs.
        return "HeaderField[" + name + ", " + raw.length + " bytes]";
    }
}
