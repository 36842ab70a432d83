package dev.veil.crypto;

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
final class CrlfOutputStream extends OutputStream {
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private final OutputStream target;
    private final boolean closeTarget;
    /**
     * Lines and their new ends are gathered here and go on in 64 KiB writes: a line is two writes here, each small
     * write into a cipher stream would cost a cipher call, and a (synchronized) BufferedOutputStream in between
     * cost a fifth of sealing a 1 MB message of short lines.
     */
    private final byte[] buffer = new byte[64 * 1024];
    private int count;
    private boolean afterCr;
    private boolean finished;

    CrlfOutputStream(OutputStream target, boolean closeTarget) {
        this.target = target;
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
            putCrlf(); // the held-back CR, bare or not
            if (bytes[i] == LF) {
                i++; // it was CRLF: already written
            }
        }
        while (i < end) {
            int lineEnd = nextLineEnd(bytes, i, end);
            put(bytes, i, lineEnd - i);
            if (lineEnd == end) {
                return;
            }
            if (bytes[lineEnd] == LF) {
                putCrlf();
                i = lineEnd + 1;
            } else if (lineEnd + 1 < end) {
                putCrlf();
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
                putCrlf();
            }
            flush();
        }
    }

    @Override
    public void flush() throws IOException {
        drain();
        target.flush();
    }

    @Override
    public void close() throws IOException {
        finish();
        if (closeTarget) {
            target.close();
        }
    }

    private void put(byte[] bytes, int offset, int length) throws IOException {
        if (length > buffer.length - count) {
            drain();
            if (length >= buffer.length) {
                target.write(bytes, offset, length);
                return;
            }
        }
        System.arraycopy(bytes, offset, buffer, count, length);
        count += length;
    }

    private void putCrlf() throws IOException {
        if (buffer.length - count < 2) {
            drain();
        }
        buffer[count++] = CR;
        buffer[count++] = LF;
    }

    private void drain() throws IOException {
        if (count > 0) {
            target.write(buffer, 0, count);
            count = 0;
        }
    }
}
