package dev.veil.gateway.auth;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** DKIM's "relaxed" canonicalization (RFC 6376 section 3.4.2 and 3.4.4), as ARC uses it for its signatures. */
final class Canonical {
    private Canonical() {
    }

    /**
     * A header field, raw bytes (folding included) to {@code name:value} with the name in lower case, line breaks
     * removed, runs of whitespace as one space and none around the value; followed by CRLF when {@code crlf}.
     * Bytes are kept one to one (ISO-8859-1 round trip), so 8-bit header values hash as they are.
     */
    static byte[] header(byte[] raw, boolean crlf) {
        int colon = 0;
        while (raw[colon] != ':') {
            colon++;
        }
        byte[] out = new byte[raw.length + 2];
        int length = 0;
        int nameStart = 0;
        int nameEnd = colon;
        while (nameStart < nameEnd && isWhitespace(raw[nameStart])) {
            nameStart++;
        }
        while (nameEnd > nameStart && isWhitespace(raw[nameEnd - 1])) {
            nameEnd--;
        }
        for (int i = nameStart; i < nameEnd; i++) {
            byte b = raw[i];
            out[length++] = b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
        }
        out[length++] = ':';
        boolean space = false;
        boolean started = false;
        for (int i = colon + 1; i < raw.length; i++) {
            byte b = raw[i];
            if (b == '\r' || b == '\n') {
                continue; // unfolding
            }
            if (b == ' ' || b == '\t') {
                space = started; // a run becomes one space, none before the value
                continue;
            }
            if (space) {
                out[length++] = ' ';
                space = false;
            }
            out[length++] = b;
            started = true;
        } // a run at the end is dropped: space is never written after the last byte
        if (crlf) {
            out[length++] = '\r';
            out[length++] = '\n';
        }
        return Arrays.copyOf(out, length);
    }

    /** Whitespace around a field name: WSP, and CR or LF where a field is folded before its colon. */
    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }

    /** The field with the value of its {@code b=} tag emptied: what a signature covers of its own field. */
    static byte[] withoutSignature(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int colon = text.indexOf(':');
        String value = text.substring(colon + 1);
        String emptied = value.replaceAll("((?:^|;)[ \t\r\n]*b[ \t\r\n]*=)[^;]*", "$1");
        return (text.substring(0, colon + 1) + emptied).getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Relaxed body canonicalization, streaming: whitespace at line ends removed, runs of whitespace as one space,
     * empty lines at the end removed, and a non-empty body ending in CRLF. An empty body stays empty.
     */
    static final class BodyStream extends OutputStream {
        private static final VarHandle LONGS =
                MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
        private final OutputStream out;
        /**
         * The canonical bytes go on in writes of up to 16 KiB: a digest call per line and one per line break (two
         * single bytes) made the ARC body hash of a sealed 1 MB message cost milliseconds.
         */
        private final byte[] buffer = new byte[16 * 1024];
        private int count;
        private boolean whitespace;
        private boolean carriageReturn;
        private int pendingLineBreaks;
        private boolean anyContent;

        BodyStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            if (carriageReturn) {
                carriageReturn = false;
                if (b == '\n') {
                    whitespace = false; // whitespace at the end of a line goes
                    pendingLineBreaks++;
                    return;
                }
                content('\r');
            }
            if (b == '\r') {
                carriageReturn = true;
            } else if (b == ' ' || b == '\t') {
                whitespace = true;
            } else {
                content(b);
            }
        }

        /**
         * Runs of ordinary bytes (no CR, LF, space or tab) are copied whole; the bytes that steer the
         * canonicalization take the byte-wise path above.
         */
        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            int end = offset + length;
            int i = offset;
            while (i < end) {
                if (!carriageReturn && !whitespace) {
                    // lines of ordinary bytes, each ended by CRLF (base64 bodies are nothing else), stay as they are:
                    // written as one piece up to the last one's CR, whose line break then waits like any other
                    int lastBreak = wholeLines(bytes, i, end);
                    if (lastBreak > i) {
                        flushPending();
                        put(bytes, i, lastBreak - i);
                        anyContent = true;
                        pendingLineBreaks = 1;
                        i = lastBreak + 2;
                        continue;
                    }
                }
                int run = carriageReturn ? i : ordinaryRun(bytes, i, end);
                if (run > i) {
                    flushPending();
                    put(bytes, i, run - i);
                    anyContent = true;
                    i = run;
                } else {
                    write(bytes[i] & 0xff);
                    i++;
                }
            }
        }

        /**
         * From {@code from}, a sequence of lines that each hold at least one byte, all ordinary, and end in CRLF: the
         * index of the last one's CR, or {@code from} when the first is not such a line.
         */
        static int wholeLines(byte[] bytes, int from, int end) {
            int lastBreak = from;
            int i = from;
            while (true) {
                int run = ordinaryRun(bytes, i, end);
                if (run == i || run + 1 >= end || bytes[run] != '\r' || bytes[run + 1] != '\n') {
                    return lastBreak;
                }
                lastBreak = run;
                i = run + 2;
            }
        }

        /**
         * The end of the run of ordinary bytes from {@code from}. Eight bytes at a time: only a word with a byte
         * below 0x21 can hold CR, LF, space or tab (the lowest such byte is found exactly, little-endian).
         */
        static int ordinaryRun(byte[] bytes, int from, int end) {
            int i = from;
            while (i + Long.BYTES <= end) {
                long word = (long) LONGS.get(bytes, i);
                long low = (word - 0x2121212121212121L) & ~word & 0x8080808080808080L;
                if (low == 0) {
                    i += Long.BYTES;
                    continue;
                }
                int at = i + (Long.numberOfTrailingZeros(low) >>> 3);
                if (!ordinary(bytes[at])) {
                    return at;
                }
                i = at + 1; // another control byte: ordinary here
            }
            while (i < end && ordinary(bytes[i])) {
                i++;
            }
            return i;
        }

        private static boolean ordinary(byte b) {
            return b != '\r' && b != '\n' && b != ' ' && b != '\t';
        }

        /** The line breaks and the space that a following content byte makes real. */
        private void flushPending() throws IOException {
            for (; pendingLineBreaks > 0; pendingLineBreaks--) {
                put((byte) '\r');
                put((byte) '\n');
            }
            if (whitespace) {
                put((byte) ' ');
                whitespace = false;
            }
        }

        private void content(int b) throws IOException {
            flushPending();
            put((byte) b);
            anyContent = true;
        }

        private void put(byte b) throws IOException {
            if (count == buffer.length) {
                drain();
            }
            buffer[count++] = b;
        }

        private void put(byte[] bytes, int offset, int length) throws IOException {
            if (length >= buffer.length) {
                drain();
                out.write(bytes, offset, length);
                return;
            }
            if (length > buffer.length - count) {
                drain();
            }
            System.arraycopy(bytes, offset, buffer, count, length);
            count += length;
        }

        private void drain() throws IOException {
            if (count > 0) {
                out.write(buffer, 0, count);
                count = 0;
            }
        }

        /** Ends the body: one CRLF after the last line with content, the trailing empty lines dropped. */
        @Override
        public void close() throws IOException {
            if (carriageReturn) {
                carriageReturn = false;
                content('\r');
            }
            if (anyContent) {
                put((byte) '\r');
                put((byte) '\n');
            }
            drain();
            out.flush();
        }
    }
}
