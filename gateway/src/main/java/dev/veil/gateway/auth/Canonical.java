package dev.veil.gateway.auth;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

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
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int colon = text.indexOf(':');
        String name = text.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        String value = text.substring(colon + 1).replace("\r", "").replace("\n", "")
                .replaceAll("[ \t]+", " ").strip();
        return (name + ":" + value + (crlf ? "\r\n" : "")).getBytes(StandardCharsets.ISO_8859_1);
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
        private final OutputStream out;
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
         * Runs of ordinary bytes (no CR, LF, space or tab) go out in one write each: byte by byte, a 1 MB body cost
         * more than a million calls into the digest (the load harness had ARC sealing of 1 MB messages as slow as
         * their encryption). The bytes that steer the canonicalization take the byte-wise path above.
         */
        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            int end = offset + length;
            int i = offset;
            while (i < end) {
                int run = i;
                if (!carriageReturn) {
                    while (run < end && ordinary(bytes[run])) {
                        run++;
                    }
                }
                if (run > i) {
                    flushPending();
                    out.write(bytes, i, run - i);
                    anyContent = true;
                    i = run;
                } else {
                    write(bytes[i] & 0xff);
                    i++;
                }
            }
        }

        private static boolean ordinary(byte b) {
            return b != '\r' && b != '\n' && b != ' ' && b != '\t';
        }

        /** The line breaks and the space that a following content byte makes real. */
        private void flushPending() throws IOException {
            for (; pendingLineBreaks > 0; pendingLineBreaks--) {
                out.write('\r');
                out.write('\n');
            }
            if (whitespace) {
                out.write(' ');
                whitespace = false;
            }
        }

        private void content(int b) throws IOException {
            flushPending();
            out.write(b);
            anyContent = true;
        }

        /** Ends the body: one CRLF after the last line with content, the trailing empty lines dropped. */
        @Override
        public void close() throws IOException {
            if (carriageReturn) {
                carriageReturn = false;
                content('\r');
            }
            if (anyContent) {
                out.write('\r');
                out.write('\n');
            }
            out.flush();
        }
    }
}
