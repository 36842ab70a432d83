package dev.veil.crypto;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The header block of a message as read from the wire, parsed at byte level and tolerant of what real mail
 * contains: bare LF or bare CR line ends, a UTF-8 byte order mark, an mbox {@code From } line, whitespace
 * before the colon (obsolete syntax), 8-bit bytes, and no blank line at all.
 *
 * <p>The header ends at the first empty line, at the first line that is neither a field nor a continuation
 * (that line is then the start of the body, as in Postfix), at end of input, or after {@link #MAX_BYTES}.
 *
 * <p>{@link #read(InputStream)} consumes the header from the stream (plus, after a bare CR, one byte of
 * look-ahead). To stream the whole message on, write {@link #consumed()} and then the rest of the stream:
 * together they are exactly the original bytes.
 */
public final class HeaderBlock {
    /** Header bytes parsed at most; the rest of an absurdly long header is treated as body. */
    public static final int MAX_BYTES = 1024 * 1024;

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final List<HeaderField> fields;
    private final byte[] consumed;
    private final int bodyOffset;
    private final boolean complete;
    private final boolean overLimit;

    private HeaderBlock(List<HeaderField> fields, byte[] consumed, int bodyOffset, boolean complete,
                        boolean overLimit) {
        this.fields = List.copyOf(fields);
        this.consumed = consumed;
        this.bodyOffset = bodyOffset;
        this.complete = complete;
        this.overLimit = overLimit;
    }

    /**
     * Reads the header block from {@code in}, which should be buffered. Nothing past the header (and one byte of
     * look-ahead after a bare CR) is taken from it: a stream that supports {@link InputStream#mark mark} is read
     * in chunks and set back to just after the header; any other stream is read one byte at a time.
     */
    public static HeaderBlock read(InputStream in) throws IOException {
        return new Reader(in).read();
    }

    /** Parses the header block at the start of {@code message}. */
    public static HeaderBlock parse(byte[] message) {
        try {
            return read(new ByteArrayInputStream(message));
        } catch (IOException e) {
            throw new IllegalStateException("reading from memory failed", e);
        }
    }

    /** The fields in order of appearance. */
    public List<HeaderField> fields() {
        return fields;
    }

    /** The first field with this name (case-insensitive). */
    public Optional<HeaderField> first(String name) {
        return fields.stream().filter(field -> field.is(name)).findFirst();
    }

    /** All fields with this name (case-insensitive), in order. */
    public List<HeaderField> all(String name) {
        return fields.stream().filter(field -> field.is(name)).toList();
    }

    /** Every byte taken from the stream, header first; may extend past {@link #bodyOffset()}. */
    public byte[] consumed() {
        return consumed.clone();
    }

    /** Index into {@link #consumed()} where the body starts (after the blank line, if there was one). */
    public int bodyOffset() {
        return bodyOffset;
    }

    /**
     * Whether the header ended as RFC 5322 says, at an empty line or at the end of the message: then every header
     * line is in {@link #fields()}. False when a line that is neither a field nor a continuation, or the size limit,
     * ended it: header lines may then follow in what is taken as the body, so a step that writes only some fields
     * out (leaving the rest behind) must not trust it.
     */
    public boolean complete() {
        return complete;
    }

    /**
     * Whether {@link #MAX_BYTES} ended the header rather than an empty line, a line that is not a field, or the end
     * of the message: the fields after that point are not in {@link #fields()}, so the listeners refuse such mail.
     */
    public boolean overLimit() {
        return overLimit;
    }

    /** Writes {@link #consumed()} without copying it. */
    void writeConsumedTo(java.io.OutputStream out) throws IOException {
        out.write(consumed);
    }

    /** The body bytes already consumed (look-ahead), to be followed by the rest of the stream. */
    byte[] consumedBody() {
        return Arrays.copyOfRange(consumed, bodyOffset, consumed.length);
    }

    @Override
    public String toString() {
        return "HeaderBlock[" + fields.size() + " fields, body at " + bodyOffset + "]";
    }

    /**
     * Whether {@code line} (from {@code offset}, its line end optional) is an mbox {@code From sender date} line, not a
     * From field with obsolete space before the colon.
     */
    public static boolean isMboxFromLine(byte[] line, int offset) {
        return Reader.isMboxFromLine(line, offset);
    }

    /** Whether {@code bytes} has the UTF-8 byte order mark at {@code offset}. */
    public static boolean hasByteOrderMarkAt(byte[] bytes, int offset, int end) {
        return end - offset >= BOM.length && bytes[offset] == BOM[0] && bytes[offset + 1] == BOM[1]
                && bytes[offset + 2] == BOM[2];
    }

    /**
     * One pass over the stream; holds the parse state. Reading one byte at a time from a BufferedInputStream costs
     * a lock per byte (and so did recording it): reading the header was a fifth of the samples of sealing a 5 KB
     * message.
     * A markable stream is read in {@link #CHUNK}-byte chunks instead, and set back with {@code reset} and
     * {@code skip} to just after the last byte the parse took.
     */
    private static final class Reader {
        private static final int CHUNK = 4096;

        private final InputStream in;
        private final ByteArrayOutputStream consumed = new ByteArrayOutputStream();
        private final List<HeaderField> fields = new ArrayList<>();
        /** A byte read as look-ahead after a bare CR, not yet part of any line; -2 when there is none. */
        private int pending = -2;
        /** Bytes taken from the stream so far (including a pending look-ahead byte). */
        private int taken;

        /** The chunk read ahead from a markable stream: bytes before {@code chunkAt} are taken. */
        private final byte[] chunk;
        private int chunkAt;
        private int chunkLength;
        private boolean ended;

        private byte[] line = new byte[256];
        private int lineLength;

        private String fieldName;
        private final ByteArrayOutputStream fieldBytes = new ByteArrayOutputStream();

        Reader(InputStream in) {
            this.in = in;
            this.chunk = in.markSupported() ? new byte[CHUNK] : null;
        }

        HeaderBlock read() throws IOException {
            boolean first = true;
            while (true) {
                int lineStart = position();
                byte[] line = readLine();
                if (line == null) { // end of input, or the size limit: the rest (if any) is body
                    finishField();
                    boolean limit = taken >= MAX_BYTES;
                    return new HeaderBlock(fields, consumedBytes(), lineStart, !limit, limit);
                }
                byte[] content = withoutLineEnd(line);
                if (first) {
                    first = false;
                    int skip = startsWith(content, BOM) ? BOM.length : 0;
                    if (isMboxFromLine(content, skip)) {
                        continue;
                    }
                    if (skip > 0) {
                        line = Arrays.copyOfRange(line, skip, line.length);
                        content = Arrays.copyOfRange(content, skip, content.length);
                    }
                }
                if (content.length == 0) {
                    finishField();
                    return block(position(), true);
                }
                if (content[0] == ' ' || content[0] == '\t') {
                    if (fieldName == null) {
                        return block(lineStart, false); // a continuation with nothing to continue: not a header
                    }
                    fieldBytes.write(line);
                    continue;
                }
                String name = fieldName(content);
                if (name == null) {
                    finishField();
                    return block(lineStart, false); // not a field: the body starts here, without a blank line
                }
                finishField();
                fieldName = name;
                fieldBytes.write(line);
            }
        }

        private HeaderBlock block(int bodyOffset, boolean complete) throws IOException {
            finishField();
            return new HeaderBlock(fields, consumedBytes(), bodyOffset, complete, false);
        }

        /** Everything taken; the stream is set back to just after it (the rest of a chunk is given back). */
        private byte[] consumedBytes() throws IOException {
            if (chunk != null && chunkLength > 0) {
                consumed.write(chunk, 0, chunkAt);
                if (chunkAt < chunkLength) {
                    in.reset();
                    skipFully(chunkAt);
                }
                chunkLength = 0;
                chunkAt = 0;
            }
            return consumed.toByteArray();
        }

        private void skipFully(int count) throws IOException {
            int left = count;
            while (left > 0) {
                long skipped = in.skip(left);
                if (skipped > 0) {
                    left -= (int) skipped;
                } else if (in.read() >= 0) {
                    left--;
                } else {
                    throw new IOException("the stream ended while setting it back to the end of the header");
                }
            }
        }

        private void finishField() {
            if (fieldName != null) {
                fields.add(new HeaderField(fieldName, fieldBytes.toByteArray()));
                fieldName = null;
                fieldBytes.reset();
            }
        }

        /**
         * The next line including its line end (CRLF, LF or a bare CR); null at end of input or when the
         * size limit is reached (the bytes already read stay in {@link #consumed}).
         */
        private byte[] readLine() throws IOException {
            lineLength = 0;
            while (true) {
                if (taken >= MAX_BYTES) {
                    return null;
                }
                int b = next();
                if (b < 0) {
                    return lineLength == 0 ? null : Arrays.copyOf(line, lineLength);
                }
                append(b);
                if (b == LF) {
                    return Arrays.copyOf(line, lineLength);
                }
                if (b == CR) {
                    int after = next();
                    if (after == LF) {
                        append(LF);
                    } else if (after >= 0) {
                        pending = after; // bare CR ends the line; this byte starts the next one
                    }
                    return Arrays.copyOf(line, lineLength);
                }
            }
        }

        private void append(int b) {
            if (lineLength == line.length) {
                line = Arrays.copyOf(line, 2 * line.length);
            }
            line[lineLength++] = (byte) b;
        }

        /** Bytes taken into lines so far: everything read except a pending look-ahead byte. */
        private int position() {
            return taken - (pending != -2 ? 1 : 0);
        }

        /** The next byte; what is taken from the stream is recorded in {@link #consumed} (by chunks if markable). */
        private int next() throws IOException {
            if (pending != -2) {
                int b = pending;
                pending = -2;
                return b;
            }
            if (chunk == null) {
                int b = in.read();
                if (b >= 0) {
                    consumed.write(b);
                    taken++;
                }
                return b;
            }
            if (chunkAt == chunkLength && !refill()) {
                return -1;
            }
            taken++;
            return chunk[chunkAt++] & 0xFF;
        }

        /** Records the used-up chunk and reads the next one, marking the stream so that the rest can be given back. */
        private boolean refill() throws IOException {
            if (ended) {
                return false;
            }
            consumed.write(chunk, 0, chunkLength);
            chunkAt = 0;
            chunkLength = 0;
            in.mark(CHUNK);
            int n = in.read(chunk, 0, CHUNK);
            if (n <= 0) {
                ended = true;
                return false;
            }
            chunkLength = n;
            return true;
        }

        private static byte[] withoutLineEnd(byte[] line) {
            int end = line.length;
            if (end > 0 && line[end - 1] == LF) {
                end--;
            }
            if (end > 0 && line[end - 1] == CR) {
                end--;
            }
            return end == line.length ? line : Arrays.copyOf(line, end);
        }

        /** The field name if the line starts a field ({@code name *WSP ":"}), else null. */
        private static String fieldName(byte[] content) {
            int i = 0;
            while (i < content.length && content[i] >= 33 && content[i] <= 126 && content[i] != ':') {
                i++;
            }
            if (i == 0) {
                return null;
            }
            int nameEnd = i;
            while (i < content.length && (content[i] == ' ' || content[i] == '\t')) {
                i++;
            }
            if (i >= content.length || content[i] != ':') {
                return null;
            }
            return new String(content, 0, nameEnd, StandardCharsets.US_ASCII);
        }

        /** {@code From sender date}, but not {@code From : ...} (a From field with obsolete space before the colon). */
        private static boolean isMboxFromLine(byte[] content, int offset) {
            byte[] from = "From ".getBytes(StandardCharsets.US_ASCII);
            if (content.length - offset < from.length) {
                return false;
            }
            for (int i = 0; i < from.length; i++) {
                if (content[offset + i] != from[i]) {
                    return false;
                }
            }
            int i = offset + from.length;
            while (i < content.length && (content[i] == ' ' || content[i] == '\t')) {
                i++;
            }
            return i < content.length && content[i] != ':';
        }

        private static boolean startsWith(byte[] content, byte[] prefix) {
            if (content.length < prefix.length) {
                return false;
            }
            for (int i = 0; i < prefix.length; i++) {
                if (content[i] != prefix[i]) {
                    return false;
                }
            }
            return true;
        }
    }
}
