package dev.veil.crypto;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Passes bytes through with every line end made CRLF: bare LF and bare CR become CRLF, CRLF stays.
 * Nothing else changes. S/MIME content is canonical CRLF text, and this is what makes the decrypted
 * message equal the original byte for byte apart from line ends.
 *
 * <p>{@link #close()} (or {@link #finish()}) completes a trailing bare CR; it does not close the target
 * when built with {@code closeTarget = false}.
 */
final class CrlfOutputStream extends FilterOutputStream {
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] CRLF = {CR, LF};
    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private final boolean closeTarget;
    private boolean afterCr;
    private boolean finished;

    CrlfOutputStream(OutputStream target, boolean closeTarget) {
        // buffered: a line is two writes here, and each small write into a cipher stream costs a cipher call
        super(new java.io.BufferedOutputStream(target, 64 * 1024));
        this.closeTarget = closeTarget;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        int end = offset + length;
        int i = offset;
        if (afterCr && i < end) {
            afterCr = false;
            out.write(CRLF); // the held-back CR, bare or not
            if (bytes[i] == LF) {
                i++; // it was CRLF: already written
            }
        }
        while (i < end) {
            int lineEnd = nextLineEnd(bytes, i, end);
            out.write(bytes, i, lineEnd - i);
            if (lineEnd == end) {
                return;
            }
            if (bytes[lineEnd] == LF) {
                out.write(CRLF);
                i = lineEnd + 1;
            } else if (lineEnd + 1 < end) {
                out.write(CRLF);
                i = bytes[lineEnd + 1] == LF ? lineEnd + 2 : lineEnd + 1;
            } else {
                afterCr = true; // a CR at the end of this write: its LF may come in the next one
                return;
            }
        }
    }

    /**
     * The index of the first CR or LF in {@code bytes[from, end)}, or {@code end}. Reads eight bytes at a time
     * (the "has a zero byte" trick on the bytes XORed with CR and with LF): a byte-by-byte loop was the larger part
     * of sealing a 1 MB message once the cipher and base64 were fast. In little-endian order the lowest flagged
     * byte is always a true match; borrows can only flag bytes above it.
     */
    static int nextLineEnd(byte[] bytes, int from, int end) {
        int i = from;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            long word = (long) LONGS.get(bytes, i);
            long lf = word ^ 0x0A0A0A0A0A0A0A0AL;
            long cr = word ^ 0x0D0D0D0D0D0D0D0DL;
            long found = ((lf - 0x0101010101010101L) & ~lf | (cr - 0x0101010101010101L) & ~cr)
                    & 0x8080808080808080L;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < end; i++) {
            if (bytes[i] == CR || bytes[i] == LF) {
                return i;
            }
        }
        return end;
    }

    /** Writes out a held-back final CR as CRLF and everything buffered; further writes are not allowed. */
    void finish() throws IOException {
        if (!finished) {
            finished = true;
            if (afterCr) {
                afterCr = false;
                out.write(CRLF);
            }
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        finish();
        flush();
        if (closeTarget) {
            out.close();
        }
    }
}
