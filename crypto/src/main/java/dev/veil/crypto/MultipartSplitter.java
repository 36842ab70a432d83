package dev.veil.crypto;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a multipart body (RFC 2046) at its boundary while streaming: a part is read through the stream
 * {@link #nextPart()} returns, so memory use does not depend on the part's size. Line ends may be CRLF or LF.
 *
 * <p>It is strict where parsers could disagree, so that what it calls the parts are the parts for every
 * reader: a line that starts with {@code --boundary} but is neither a delimiter nor the close delimiter (an
 * ambiguous prefix match) is an error, and so is such a line in the epilogue. The line end before a delimiter
 * belongs to the delimiter, as RFC 2046 says.
 */
final class MultipartSplitter {
    /** Longest line segment looked at in one piece; delimiter lines are far shorter (boundary at most 70). */
    private static final int MAX_SEGMENT = 8 * 1024;

    private enum Kind { CONTENT, DELIMITER, CLOSE, CLASH }

    private final LineReader lines;
    private final byte[] dashBoundary;
    private PartStream current;
    private boolean closed;

    MultipartSplitter(InputStream body, String boundary) {
        this.lines = new LineReader(body, MAX_SEGMENT);
        this.dashBoundary = ("--" + boundary).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads the preamble up to the first delimiter.
     *
     * @return false if there is no first delimiter, the preamble is longer than {@code maxBytes}, or it
     *         contains the close delimiter or a line that clashes with the boundary
     */
    boolean skipPreamble(long maxBytes) throws IOException {
        long size = 0;
        for (Line line = lines.next(); line != null; line = lines.next()) {
            switch (classify(line)) {
                case DELIMITER -> {
                    return true;
                }
                case CLOSE, CLASH -> {
                    return false;
                }
                default -> {
                    size += line.length();
                    if (size > maxBytes) {
                        return false;
                    }
                }
            }
        }
        return false;
    }

    /**
     * The next part (its header and body), or null once the close delimiter has been read. The previous part
     * is skipped if it was not read to the end. Reading a part throws {@link EOFException} if the body ends
     * without a close delimiter, and an {@link IOException} on a line that clashes with the boundary.
     */
    InputStream nextPart() throws IOException {
        if (current != null) {
            current.transferTo(java.io.OutputStream.nullOutputStream());
            current = null;
        }
        if (closed) {
            return null;
        }
        current = new PartStream();
        return current;
    }

    /**
     * Whether what follows the close delimiter is a harmless epilogue: at most {@code maxBytes} and no line
     * that looks like a delimiter (which some readers might take for another part). Call after
     * {@link #nextPart()} returned null.
     */
    boolean epilogueIsHarmless(long maxBytes) throws IOException {
        if (!closed) {
            throw new IllegalStateException("the close delimiter has not been read");
        }
        long size = 0;
        for (Line line = lines.next(); line != null; line = lines.next()) {
            if (classify(line) != Kind.CONTENT) {
                return false;
            }
            size += line.length();
            if (size > maxBytes) {
                return false;
            }
        }
        return true;
    }

    private Kind classify(Line line) {
        if (!line.startsLine() || !startsWith(line.content(), dashBoundary)) {
            return Kind.CONTENT;
        }
        if (!line.complete()) {
            return Kind.CLASH; // a very long line starting with the boundary: not a delimiter, but ambiguous
        }
        byte[] content = line.content();
        int i = dashBoundary.length;
        Kind kind = Kind.DELIMITER;
        if (content.length - i >= 2 && content[i] == '-' && content[i + 1] == '-') {
            kind = Kind.CLOSE;
            i += 2;
        }
        for (; i < content.length; i++) {
            if (content[i] != ' ' && content[i] != '\t') { // transport padding only
                return Kind.CLASH;
            }
        }
        return kind;
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The bytes of one part, ending before the line end that precedes the next delimiter. */
    private final class PartStream extends ChunkedInputStream {
        private byte[] pendingLineEnd = new byte[0];
        private boolean ended;

        @Override
        protected boolean fill() throws IOException {
            while (position >= buffer.length) {
                if (ended) {
                    return false;
                }
                Line line = lines.next();
                if (line == null) {
                    throw new EOFException("multipart body ends without a close delimiter");
                }
                switch (classify(line)) {
                    case DELIMITER -> ended = true;
                    case CLOSE -> {
                        ended = true;
                        closed = true;
                    }
                    case CLASH -> throw new IOException("a line clashes with the multipart boundary");
                    default -> {
                        byte[] content = line.content();
                        byte[] joined = Arrays.copyOf(pendingLineEnd, pendingLineEnd.length + content.length);
                        System.arraycopy(content, 0, joined, pendingLineEnd.length, content.length);
                        buffer = joined;
                        position = 0;
                        pendingLineEnd = line.lineEnd();
                    }
                }
            }
            return true;
        }
    }

    /**
     * A piece of a line: the whole line if it is at most the segment size, else consecutive segments.
     *
     * @param content   the bytes without the line end
     * @param lineEnd   CRLF, LF or empty (the line continues in the next segment, or the input ended)
     * @param startsLine whether the segment is the start of a line
     * @param complete  whether the segment is a whole line (it starts a line and ends with a line end or at
     *                  the end of input)
     */
    record Line(byte[] content, byte[] lineEnd, boolean startsLine, boolean complete) {
        int length() {
            return content.length + lineEnd.length;
        }
    }

    /**
     * Reads line segments of at most a given size; a line end is LF or CRLF. Reads ahead from its stream in
     * blocks: nothing else should read that stream.
     */
    static final class LineReader {
        private static final byte[] CRLF = {'\r', '\n'};
        private static final byte[] LF = {'\n'};
        private static final byte[] NONE = {};

        private final InputStream in;
        private final byte[] segment;
        private final byte[] buffer = new byte[64 * 1024];
        private int position;
        private int limit;
        private boolean atLineStart = true;

        LineReader(InputStream in, int maxSegment) {
            this.in = in;
            this.segment = new byte[maxSegment];
        }

        /** The next segment, or null at the end of input. */
        Line next() throws IOException {
            int length = 0;
            while (length < segment.length) {
                if (position == limit) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        return length == 0 ? null : segment(length, NONE, true);
                    }
                    position = 0;
                    limit = n;
                }
                int end = position + Math.min(limit - position, segment.length - length);
                int i = position;
                while (i < end && buffer[i] != '\n') {
                    i++;
                }
                System.arraycopy(buffer, position, segment, length, i - position);
                length += i - position;
                position = i;
                if (i < end) { // a line feed
                    position++;
                    boolean crlf = length > 0 && segment[length - 1] == '\r';
                    return segment(crlf ? length - 1 : length, crlf ? CRLF : LF, true);
                }
            }
            return segment(length, NONE, false);
        }

        private Line segment(int length, byte[] lineEnd, boolean endsLine) {
            boolean startsLine = atLineStart;
            atLineStart = endsLine;
            return new Line(Arrays.copyOf(segment, length), lineEnd, startsLine, startsLine && endsLine);
        }
    }
}
