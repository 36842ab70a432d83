package dev.veil.gateway.correspondents;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.ContentDisposition;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.internet.ParseException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Copies a message body with the text a person reads rewritten: every {@code text/plain} and {@code text/html} part,
 * and every {@code text/calendar} part (an invitation's attendees, {@link CalendarLines}), that is not a file (no {@code attachment} disposition, no file name), in any multipart nesting, decoded from its
 * transfer encoding (7bit, 8bit, binary, quoted-printable, base64), given to a {@link TextRewriter}, and encoded again
 * as it was — as quoted-printable instead when the rewritten text has a line longer than SMTP carries. Everything
 * else — files, other types, signed or encrypted content ({@code multipart/signed}, {@code multipart/encrypted}, and
 * text under an inline PGP signature: a changed octet breaks a user's signature), the preamble and epilogue, the
 * delimiters, a text part the rewriter leaves alone — is copied byte for byte, and streamed: only one text part at a
 * time is held, up to {@link #MAX_TEXT_PART} octets (a larger one is copied as it is).
 *
 * <p>Text in a charset that does not write ASCII as ASCII (UTF-16, UTF-32, UTF-7) is copied as it is: the rewriter
 * sees the text as ISO-8859-1, where any ASCII-compatible charset's ASCII shows as itself.
 */
public final class TextParts {
    /** A text part whose text is larger than this is copied unchanged. */
    public static final int MAX_TEXT_PART = 4 * 1024 * 1024;
    /** What a text part of {@link #MAX_TEXT_PART} may take in base64 with its line breaks (4/3 of it, and more). */
    private static final int MAX_ENCODED_PART = MAX_TEXT_PART / 2 * 3;
    /** Multiparts nested deeper than this are copied unchanged. */
    static final int MAX_DEPTH = 16;
    private static final int CHUNK = 8192;
    /** The transfer encodings a text part is read in; one of any other is copied as it is. */
    private static final Set<String> TEXT_ENCODINGS = Set.of("7bit", "8bit", "binary", "quoted-printable", "base64");

    /** Rewrites a text part's decoded octets. */
    @FunctionalInterface
    public interface TextRewriter {
        /**
         * @param text the decoded octets (charset unknown to it: ASCII-compatible)
         * @param html whether the text is HTML (what it writes in must then be written as HTML text)
         * @return the new octets, or {@code text} itself when nothing changed
         */
        byte[] rewrite(byte[] text, boolean html) throws RestorationException;
    }

    private final LineReader lines;
    private final OutputStream out;
    private final TextRewriter rewriter;
    private final Deque<byte[]> boundaries = new ArrayDeque<>();
    private int changed;

    private TextParts(InputStream body, OutputStream out, TextRewriter rewriter) {
        this.lines = new LineReader(body);
        this.out = out;
        this.rewriter = rewriter;
    }

    /**
     * Writes {@code headerBytes} (the message's header as it is to go out, with its blank line) and then {@code body}
     * (what follows {@code header}, the header as it arrived) to {@code out}; the header's Content-Transfer-Encoding
     * changes to quoted-printable when the message is one text part whose restored lines would be too long.
     *
     * @return how many text parts the rewriter changed
     */
    public static int copy(HeaderBlock header, byte[] headerBytes, InputStream body, OutputStream out,
                           TextRewriter rewriter) throws IOException, RestorationException {
        TextParts walk = new TextParts(body, out, rewriter);
        walk.part(Part.of(header), headerBytes, 0);
        // anything after an epilogue the walk stopped in (a delimiter of no open multipart) goes as it is
        for (Line line = walk.lines.next(); line != null; line = walk.lines.next()) {
            out.write(line.bytes, 0, line.length);
        }
        return walk.changed;
    }

    /** What a part's header says about its content. */
    private record Part(String type, String boundary, String encoding, String charset, boolean attachment) {
        static Part of(HeaderBlock header) {
            String contentType = header.first("Content-Type").map(f -> f.value()).orElse("text/plain");
            // RFC 2045 6.1 allows comments ("7bit (plain)")
            String encoding = header.first("Content-Transfer-Encoding")
                    .map(f -> HeaderField.withoutComments(f.value()).strip().toLowerCase(Locale.ROOT)).orElse("7bit");
            // a file, whatever it says of how to show it: "attachment", or a file name in either field (Apple Mail
            // sends attached text files inline with a name; a probe's were rewritten)
            // any of several dispositions: a reader may go by any of them
            boolean attachment = header.all("Content-Disposition").stream().anyMatch(f -> {
                try {
                    ContentDisposition disposition = new ContentDisposition(f.value());
                    return "attachment".equalsIgnoreCase(disposition.getDisposition())
                            || disposition.getParameter("filename") != null;
                } catch (ParseException e) {
                    return true; // unreadable: not taken for text to show
                }
            });
            try {
                ContentType parsed = new ContentType(contentType);
                String charset = parsed.getParameter("charset");
                return new Part(parsed.getBaseType().toLowerCase(Locale.ROOT), parsed.getParameter("boundary"),
                        encoding, charset == null ? "us-ascii" : charset.toLowerCase(Locale.ROOT),
                        attachment || parsed.getParameter("name") != null);
            } catch (ParseException e) {
                // a type no reader can make out is nobody's text: copied as it is
                return new Part("application/octet-stream", null, encoding, "us-ascii", attachment);
            }
        }

        boolean text() {
            return (type.equals("text/plain") || type.equals("text/html") || calendar()) && !attachment
                    && !charset.startsWith("utf-16") && !charset.startsWith("utf-32") && !charset.equals("utf-7")
                    && TEXT_ENCODINGS.contains(encoding);
        }

        /** A meeting invitation or answer (RFC 5545), whose attendees a calendar program matches by address. */
        boolean calendar() {
            return type.equals("text/calendar");
        }

        boolean multipart() {
            return type.startsWith("multipart/") && boundary != null && !boundary.isEmpty();
        }

        /** Signed or encrypted content: a changed octet would break the signature (S/MIME, PGP/MIME). */
        boolean sealed() {
            return type.equals("multipart/signed") || type.equals("multipart/encrypted");
        }
    }

    /**
     * One part: its header ({@code headerBytes}, with its blank line) and its content, up to the delimiter of an
     * enclosing multipart (left for the caller to read) or the end.
     */
    private void part(Part part, byte[] headerBytes, int depth) throws IOException, RestorationException {
        if (part.text()) {
            text(part, headerBytes, depth == 0);
            return;
        }
        out.write(headerBytes);
        if (part.sealed()) {
            copyToDelimiter(); // its own delimiters are not open here: copied with the rest
        } else if (part.multipart() && depth < MAX_DEPTH) {
            multipart(part.boundary().getBytes(StandardCharsets.ISO_8859_1), depth);
        } else {
            copyToDelimiter();
        }
    }

    private void multipart(byte[] boundary, int depth) throws IOException, RestorationException {
        boundaries.push(boundary);
        try {
            for (Line line = lines.next(); line != null; line = lines.next()) {
                int delimiter = delimiterOf(line);
                if (delimiter == 0) {
                    out.write(line.bytes, 0, line.length);
                    if (isClose(line, boundary)) {
                        boundaries.pop();
                        boundary = null;
                        copyToDelimiter(); // the epilogue
                        return;
                    }
                    ByteArrayOutputStream headerBytes = new ByteArrayOutputStream(512);
                    Optional<HeaderBlock> header = partHeader(headerBytes);
                    if (header.isPresent()) {
                        part(Part.of(header.get()), headerBytes.toByteArray(), depth + 1);
                    } else {
                        headerBytes.writeTo(out);
                    }
                } else if (delimiter > 0) {
                    lines.pushBack(line); // an enclosing multipart's: this one ends without its close delimiter
                    return;
                } else {
                    out.write(line.bytes, 0, line.length); // the preamble
                }
            }
        } finally {
            if (boundary != null) {
                boundaries.pop();
            }
        }
    }

    /**
     * Reads a body part's header into {@code header}; empty when a delimiter or the end comes before its empty line
     * (what was read is then not a header, and goes as it is).
     */
    private Optional<HeaderBlock> partHeader(ByteArrayOutputStream header) throws IOException {
        for (Line line = lines.next(); line != null; line = lines.next()) {
            if (delimiterOf(line) >= 0) {
                lines.pushBack(line);
                return Optional.empty();
            }
            header.write(line.bytes, 0, line.length);
            if (line.blank()) {
                return Optional.of(HeaderBlock.parse(header.toByteArray()));
            }
            if (header.size() > HeaderBlock.MAX_BYTES) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private void copyToDelimiter() throws IOException {
        for (Line line = lines.next(); line != null; line = lines.next()) {
            if (delimiterOf(line) >= 0) {
                lines.pushBack(line);
                return;
            }
            out.write(line.bytes, 0, line.length);
        }
    }

    /** @param message whether the part is the whole message (its header then needs MIME-Version for an encoding) */
    private void text(Part part, byte[] headerBytes, boolean message) throws IOException, RestorationException {
        ByteArrayOutputStream held = new ByteArrayOutputStream(4096);
        for (Line line = lines.next(); line != null; line = lines.next()) {
            if (delimiterOf(line) >= 0) {
                lines.pushBack(line);
                break;
            }
            held.write(line.bytes, 0, line.length);
            if (held.size() > MAX_ENCODED_PART) {
                out.write(headerBytes);
                held.writeTo(out);
                copyToDelimiter();
                return;
            }
        }
        byte[] raw = held.toByteArray();
        String encoding = part.encoding();
        boolean encoded = encoding.equals("quoted-printable") || encoding.equals("base64");
        byte[] text;
        try {
            text = encoded ? MimeUtility.decode(new ByteArrayInputStream(raw), encoding).readAllBytes() : raw;
        } catch (MessagingException | IOException | RuntimeException e) {
            text = null; // not decodable: no reader shows it as text either
        }
        byte[] again = text == null || text.length > MAX_TEXT_PART || clearSigned(text) ? text
                : part.calendar() ? CalendarLines.rewrite(text, rewriter)
                : rewriter.rewrite(text, part.type().equals("text/html"));
        if (again == text || Arrays.equals(again, text)) {
            out.write(headerBytes);
            out.write(raw);
            return;
        }
        changed++;
        if (!encoded && longestLine(again) > MAX_LINE) {
            // a longer address made a line longer than SMTP carries (RFC 5322 2.1.1; binary too: no relay of Veil's
            // offers BINARYMIME): sent as quoted-printable, which keeps every line short, rather than cut by a relay
            // (a probe's 1,387-octet line went out as it was)
            encoding = "quoted-printable";
            encoded = true;
            headerBytes = withEncoding(headerBytes, encoding, message);
        }
        out.write(headerBytes);
        out.write(encoded ? encode(again, encoding, raw) : again);
    }

    /**
     * iCalendar's content lines (RFC 5545 3.1): folded at 75 octets, a line break and one space or tab starting each
     * continuation, so a fold can split an attendee's {@code mailto:} address anywhere (Outlook folds
     * {@code ATTENDEE;…:mailto:c-…@alias} mid-address). The rewriter sees the lines unfolded; when it changes anything,
     * every line is folded again at 75 octets, never inside a UTF-8 character. Folding means nothing to a reader, so
     * lines folded elsewhere before read the same.
     */
    static final class CalendarLines {
        static final int MAX = 75;
        private static final byte[] CRLF = {'\r', '\n'};
        private static final byte[] LF = {'\n'};

        private CalendarLines() {
        }

        static byte[] rewrite(byte[] text, TextRewriter rewriter) throws RestorationException {
            byte[] unfolded = unfold(text);
            byte[] again = rewriter.rewrite(unfolded, false);
            return again == unfolded || Arrays.equals(again, unfolded) ? text : fold(again);
        }

        static byte[] unfold(byte[] text) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(text.length);
            for (int i = 0; i < text.length; i++) {
                int next = text[i] == '\r' && i + 1 < text.length && text[i + 1] == '\n' ? i + 2
                        : text[i] == '\n' ? i + 1 : -1;
                if (next > 0 && next < text.length && (text[next] == ' ' || text[next] == '\t')) {
                    i = next; // the break and the one white space character after it go
                    continue;
                }
                out.write(text[i]);
            }
            return out.toByteArray();
        }

        static byte[] fold(byte[] text) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(text.length + text.length / 32);
            // the text's own line breaks: a CR added in a text of bare LFs would stay inside a value for a reader that
            // unfolds at LF and a space (a probe's LF-only invitation came back with both kinds)
            boolean bareLf = CorrespondentRestorer.indexOf(text, CRLF, 0) < 0
                    && CorrespondentRestorer.indexOf(text, LF, 0) >= 0;
            int lineLength = 0;
            for (int i = 0; i < text.length; i++) {
                byte b = text[i];
                if (b == '\r' || b == '\n') {
                    lineLength = 0;
                } else {
                    boolean continuation = (b & 0xC0) == 0x80; // inside a UTF-8 character: no break before it
                    if (lineLength >= MAX && !continuation) {
                        if (!bareLf) {
                            out.write('\r');
                        }
                        out.write('\n');
                        out.write(' ');
                        lineLength = 1;
                    }
                    lineLength++;
                }
                out.write(b);
            }
            return out.toByteArray();
        }
    }

    /** Lines longer than this many octets (without the line break) cannot go over SMTP (RFC 5321 4.5.3.1.6). */
    static final int MAX_LINE = 998;
    private static final byte[] CLEAR_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----".getBytes(StandardCharsets.US_ASCII);

    /**
     * Whether the text holds an inline PGP signature (RFC 4880 7): it covers the text, so a changed octet would break
     * it (a probe's clear-signed reply failed gpg --verify after its alias was restored).
     */
    private static boolean clearSigned(byte[] text) {
        return CorrespondentRestorer.indexOf(text, CLEAR_SIGNED, 0) >= 0;
    }

    private static int longestLine(byte[] text) {
        int longest = 0;
        int start = 0;
        for (int i = 0; i <= text.length; i++) {
            if (i == text.length || text[i] == '\n') {
                int end = i > start && i < text.length && text[i - 1] == '\r' ? i - 1 : i;
                longest = Math.max(longest, end - start);
                start = i + 1;
            }
        }
        return longest;
    }

    /** {@code text} in a transfer encoding, ending in a line break where {@code raw} did. */
    private static byte[] encode(byte[] text, String encoding, byte[] raw) throws IOException {
        byte[] result;
        if (encoding.equals("quoted-printable")) {
            result = QuotedPrintable.encode(text);
        } else {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length * 4 / 3 + 256);
            try (OutputStream encoder = MimeUtility.encode(bytes, encoding)) {
                encoder.write(text);
            } catch (MessagingException e) {
                throw new IOException("cannot encode a text part as " + encoding + ": " + e.getMessage(), e);
            }
            result = bytes.toByteArray();
        }
        // the line break before the next delimiter belongs to the delimiter (RFC 2046 5.1.1): keep it there
        boolean endsLine = raw.length > 0 && raw[raw.length - 1] == '\n';
        if (endsLine && (result.length == 0 || result[result.length - 1] != '\n')) {
            result = Arrays.copyOf(result, result.length + 2);
            result[result.length - 2] = '\r';
            result[result.length - 1] = '\n';
        }
        return result;
    }

    /**
     * Quoted-printable (RFC 2045 6.7) that no reader can take for anything else: lines of at most 76 characters, CRLF
     * as the text's line breaks, a lone CR or LF, trailing white space and every octet outside printable ASCII as
     * {@code =XX}, and a {@code -} or {@code .} that would begin a line encoded too. A line of the encoded text that
     * began with {@code --} could be a multipart delimiter (RFC 2046 5.1.1: a probe's re-encoded part broke its
     * message in two at a soft line break before {@code --BB}); a line of one {@code .} would end SMTP data.
     */
    static final class QuotedPrintable {
        private static final int MAX = 76;
        private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

        private QuotedPrintable() {
        }

        static byte[] encode(byte[] text) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(text.length + text.length / 8 + 16);
            int column = 0;
            for (int i = 0; i < text.length; i++) {
                int b = text[i] & 0xff;
                if (b == '\r' && i + 1 < text.length && text[i + 1] == '\n') {
                    out.write('\r');
                    out.write('\n');
                    column = 0;
                    i++;
                    continue;
                }
                boolean atLineEnd = i + 1 == text.length
                        || text[i + 1] == '\r' && i + 2 < text.length && text[i + 2] == '\n';
                boolean literal = b >= 33 && b <= 126 && b != '=' || (b == ' ' || b == '\t') && !atLineEnd;
                if (literal && column == 0 && (b == '-' || b == '.')) {
                    literal = false;
                }
                int width = literal ? 1 : 3;
                // room for a soft break's "=" after it, unless it is the last thing on its line
                int room = atLineEnd ? MAX : MAX - 1;
                if (column + width > room) {
                    out.write('=');
                    out.write('\r');
                    out.write('\n');
                    column = 0;
                    if (literal && (b == '-' || b == '.')) {
                        literal = false;
                        width = 3;
                    }
                }
                if (literal) {
                    out.write(b);
                } else {
                    out.write('=');
                    out.write(HEX[b >> 4]);
                    out.write(HEX[b & 0xf]);
                }
                column += width;
            }
            return out.toByteArray();
        }
    }

    /**
     * A part's header with its Content-Transfer-Encoding given as {@code encoding} (the field added if absent), and,
     * for a whole message, MIME-Version added if absent (RFC 2045 4: without it a reader need not decode).
     */
    static byte[] withEncoding(byte[] headerBytes, String encoding, boolean message) {
        HeaderBlock header = HeaderBlock.parse(headerBytes);
        byte[] field = ("Content-Transfer-Encoding: " + encoding + "\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream(headerBytes.length + field.length + 20);
        int position = 0;
        boolean written = false;
        for (HeaderField f : header.fields()) {
            byte[] raw = f.raw();
            int at = CorrespondentRestorer.indexOf(headerBytes, raw, position);
            if (at < 0) {
                break;
            }
            out.write(headerBytes, position, at - position);
            if (f.is("Content-Transfer-Encoding")) {
                if (!written) {
                    out.writeBytes(field);
                    written = true;
                }
            } else {
                out.writeBytes(raw);
            }
            position = at + raw.length;
        }
        if (!written) {
            out.writeBytes(field);
        }
        if (message && header.first("MIME-Version").isEmpty()) {
            out.writeBytes("MIME-Version: 1.0\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write(headerBytes, position, headerBytes.length - position);
        return out.toByteArray();
    }

    /**
     * Whether a line is a delimiter ({@code --boundary}, optionally {@code --} and white space after it) of an open
     * multipart: 0 of the innermost, a positive number of an enclosing one, -1 of none.
     */
    private int delimiterOf(Line line) {
        if (!line.atLineStart || line.length < 2 || line.bytes[0] != '-' || line.bytes[1] != '-') {
            return -1;
        }
        int depth = 0;
        for (byte[] boundary : boundaries) {
            if (matches(line, boundary)) {
                return depth;
            }
            depth++;
        }
        return -1;
    }

    private static boolean matches(Line line, byte[] boundary) {
        if (line.length < 2 + boundary.length) {
            return false;
        }
        for (int i = 0; i < boundary.length; i++) {
            if (line.bytes[2 + i] != boundary[i]) {
                return false;
            }
        }
        int i = 2 + boundary.length;
        if (i + 1 < line.length && line.bytes[i] == '-' && line.bytes[i + 1] == '-') {
            i += 2;
        }
        for (; i < line.length; i++) {
            byte b = line.bytes[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false; // "--b1" is not a delimiter of "b" (a boundary that is a prefix of another)
            }
        }
        return true;
    }

    private static boolean isClose(Line line, byte[] boundary) {
        int i = 2 + boundary.length;
        return i + 1 < line.length && line.bytes[i] == '-' && line.bytes[i + 1] == '-';
    }

    /**
     * A line, or a piece of one longer than {@link #CHUNK} (never a delimiter then). The reader reuses it: it holds
     * the last line read, until the next.
     */
    private static final class Line {
        final byte[] bytes = new byte[CHUNK];
        int length;
        boolean atLineStart;

        boolean blank() {
            return atLineStart && (length == 1 && bytes[0] == '\n' || length == 2 && bytes[0] == '\r' && bytes[1] == '\n');
        }
    }

    /** Lines of at most {@link #CHUNK} octets, each with its line break; one line can be given back. */
    private static final class LineReader {
        private final InputStream in;
        private final byte[] buffer = new byte[64 * 1024];
        private int position;
        private int limit;
        private boolean atLineStart = true;
        private final Line line = new Line();
        private boolean pushedBack;

        LineReader(InputStream in) {
            this.in = in;
        }

        /** Gives back the line just read ({@link #next} returns it again). */
        void pushBack(Line read) {
            assert read == line;
            pushedBack = true;
        }

        Line next() throws IOException {
            if (pushedBack) {
                pushedBack = false;
                return line;
            }
            byte[] bytes = line.bytes;
            int length = 0;
            line.atLineStart = atLineStart;
            while (length < CHUNK) {
                if (position == limit) {
                    limit = in.read(buffer, 0, buffer.length);
                    position = 0;
                    if (limit <= 0) {
                        limit = 0;
                        break;
                    }
                }
                byte b = buffer[position++];
                bytes[length++] = b;
                if (b == '\n') {
                    atLineStart = true;
                    line.length = length;
                    return line;
                }
            }
            if (length == 0) {
                return null;
            }
            atLineStart = false;
            line.length = length;
            return line;
        }
    }
}
