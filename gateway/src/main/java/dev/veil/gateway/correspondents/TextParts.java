package dev.veil.gateway.correspondents;

import dev.veil.crypto.HeaderBlock;
import jakarta.mail.MessagingException;
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
 * Copies a message body with the text a person reads rewritten: every {@code text/plain} and {@code text/html} part
 * that is not an attachment, in any multipart nesting, decoded from its transfer encoding (7bit, 8bit, binary,
 * quoted-printable, base64), given to a {@link TextRewriter}, and encoded again as it was. Everything else —
 * attachments, other types, signed or encrypted content ({@code multipart/signed}, {@code multipart/encrypted}: a
 * changed octet breaks a user's S/MIME or PGP signature), the preamble and epilogue, the delimiters, a text part
 * the rewriter leaves alone — is
 * copied byte for byte, and streamed: only one text part at a time is held, up to {@link #MAX_TEXT_PART} octets
 * (a larger one is copied as it is).
 *
 * <p>Text in a charset that does not write ASCII as ASCII (UTF-16, UTF-32, UTF-7) is copied as it is: the rewriter
 * sees the text as ISO-8859-1, where any ASCII-compatible charset's ASCII shows as itself.
 */
public final class TextParts {
    /** A text part larger than this (decoded or not) is copied unchanged. */
    public static final int MAX_TEXT_PART = 4 * 1024 * 1024;
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
         * @return the new octets, or {@code text} itself when nothing changed
         */
        byte[] rewrite(byte[] text) throws RestorationException;
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
     * Copies {@code body} (what follows {@code header}) to {@code out}.
     *
     * @return how many text parts the rewriter changed
     */
    public static int copy(HeaderBlock header, InputStream body, OutputStream out, TextRewriter rewriter)
            throws IOException, RestorationException {
        TextParts walk = new TextParts(body, out, rewriter);
        walk.part(Part.of(header), 0);
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
            String encoding = header.first("Content-Transfer-Encoding")
                    .map(f -> f.value().strip().toLowerCase(Locale.ROOT)).orElse("7bit");
            boolean attachment = header.first("Content-Disposition")
                    .map(f -> f.value().strip().toLowerCase(Locale.ROOT).startsWith("attachment")).orElse(false);
            try {
                ContentType parsed = new ContentType(contentType);
                String charset = parsed.getParameter("charset");
                return new Part(parsed.getBaseType().toLowerCase(Locale.ROOT), parsed.getParameter("boundary"),
                        encoding, charset == null ? "us-ascii" : charset.toLowerCase(Locale.ROOT), attachment);
            } catch (ParseException e) {
                // a type no reader can make out is nobody's text: copied as it is
                return new Part("application/octet-stream", null, encoding, "us-ascii", attachment);
            }
        }

        boolean text() {
            return (type.equals("text/plain") || type.equals("text/html")) && !attachment
                    && !charset.startsWith("utf-16") && !charset.startsWith("utf-32") && !charset.equals("utf-7")
                    && TEXT_ENCODINGS.contains(encoding);
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
     * One part's content, up to the delimiter of an enclosing multipart (left for the caller to read) or the end.
     */
    private void part(Part part, int depth) throws IOException, RestorationException {
        if (part.sealed()) {
            copyToDelimiter(); // its own delimiters are not open here: copied with the rest
        } else if (part.multipart() && depth < MAX_DEPTH) {
            multipart(part.boundary().getBytes(StandardCharsets.ISO_8859_1), depth);
        } else if (part.text()) {
            text(part);
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
                    Optional<HeaderBlock> header = partHeader();
                    if (header.isPresent()) {
                        part(Part.of(header.get()), depth + 1);
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

    /** A body part's header, copied; empty when a delimiter or the end comes before its empty line. */
    private Optional<HeaderBlock> partHeader() throws IOException {
        ByteArrayOutputStream header = new ByteArrayOutputStream(512);
        for (Line line = lines.next(); line != null; line = lines.next()) {
            if (delimiterOf(line) >= 0) {
                lines.pushBack(line);
                out.write(header.toByteArray());
                return Optional.empty();
            }
            header.write(line.bytes, 0, line.length);
            if (line.blank() || header.size() > HeaderBlock.MAX_BYTES) {
                byte[] bytes = header.toByteArray();
                out.write(bytes);
                return line.blank() ? Optional.of(HeaderBlock.parse(bytes)) : Optional.empty();
            }
        }
        out.write(header.toByteArray());
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

    private void text(Part part) throws IOException, RestorationException {
        ByteArrayOutputStream held = new ByteArrayOutputStream(4096);
        for (Line line = lines.next(); line != null; line = lines.next()) {
            if (delimiterOf(line) >= 0) {
                lines.pushBack(line);
                break;
            }
            held.write(line.bytes, 0, line.length);
            if (held.size() > MAX_TEXT_PART) {
                held.writeTo(out);
                copyToDelimiter();
                return;
            }
        }
        byte[] raw = held.toByteArray();
        byte[] again = rewritten(raw, part.encoding());
        if (again != raw) {
            changed++;
        }
        out.write(again);
    }

    /** The part's octets with their text rewritten, in the same transfer encoding; {@code raw} if unchanged. */
    private byte[] rewritten(byte[] raw, String encoding) throws IOException, RestorationException {
        boolean encoded = encoding.equals("quoted-printable") || encoding.equals("base64");
        byte[] text;
        try {
            text = encoded ? MimeUtility.decode(new ByteArrayInputStream(raw), encoding).readAllBytes() : raw;
        } catch (MessagingException | IOException | RuntimeException e) {
            return raw; // not decodable: no reader shows it as text either
        }
        if (text.length > MAX_TEXT_PART) {
            return raw;
        }
        byte[] again = rewriter.rewrite(text);
        if (again == text || Arrays.equals(again, text)) {
            return raw;
        }
        if (!encoded) {
            return again;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(again.length * 4 / 3 + 256);
        try (OutputStream encoder = MimeUtility.encode(bytes, encoding)) {
            encoder.write(again);
        } catch (MessagingException e) {
            throw new IOException("cannot encode a text part as " + encoding + ": " + e.getMessage(), e);
        }
        byte[] result = bytes.toByteArray();
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
