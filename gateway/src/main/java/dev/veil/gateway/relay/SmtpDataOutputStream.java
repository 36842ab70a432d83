package dev.veil.gateway.relay;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Message content as the DATA command carries it (RFC 5321 4.5.2): every line end CRLF (a bare CR or LF becomes
 * CRLF, as Angus's own stream does), a dot doubled at the start of a line, and the content ended by CRLF.
 *
 * <p>Angus's stream does the same byte by byte, and hands every line on in two writes (the line, then CRLF) to an
 * 8 KiB buffer: a 1.4 MB sealed message cost 170 socket writes and a fifth of the relay's CPU. Here lines are found
 * eight octets at a time and leave in writes of 64 KiB.
 */
final class SmtpDataOutputStream extends OutputStream {
    private static final int BUFFER = 64 * 1024;
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    private final OutputStream target;
    private final byte[] buffer = new byte[BUFFER];
    private int count;
    /** The last octet written out ended a line (and at the very start). */
    private boolean atLineStart = true;
    /** The last octet read was a CR (already written out as CRLF): an LF right after it is that same line end. */
    private boolean afterCr;

    SmtpDataOutputStream(OutputStream target) {
        this.target = target;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        int end = offset + length;
        int i = offset;
        while (i < end) {
            int lineEnd = indexOfCrOrLf(bytes, i, end);
            int textEnd = lineEnd < 0 ? end : lineEnd;
            if (textEnd > i) {
                afterCr = false;
                if (atLineStart && bytes[i] == '.') {
                    put((byte) '.');
                }
                put(bytes, i, textEnd - i);
                atLineStart = false;
            }
            if (lineEnd < 0) {
                return;
            }
            boolean lfAfterCr = bytes[lineEnd] == LF && afterCr;
            if (!lfAfterCr) {
                put(CR);
                put(LF);
            }
            afterCr = bytes[lineEnd] == CR;
            atLineStart = true;
            i = lineEnd + 1;
        }
    }

    /** Ends the content with CRLF if it does not already, and writes out what is buffered (without flushing). */
    void finish() throws IOException {
        if (!atLineStart) {
            put(CR);
            put(LF);
            atLineStart = true;
        }
        drain();
    }

    @Override
    public void flush() throws IOException {
        // DATA is flushed with the terminating dot: a flush per part (MimeMessage.writeTo) would be a packet each
    }

    /** The first CR or LF in {@code [from, end)}, or -1. */
    static int indexOfCrOrLf(byte[] bytes, int from, int end) {
        int i = from;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            long word = (long) LONGS.get(bytes, i);
            long crs = word ^ 0x0D0D0D0D0D0D0D0DL;
            long lfs = word ^ 0x0A0A0A0A0A0A0A0AL;
            // a zero octet in crs/lfs is a CR/LF; each mask's lowest flag is exact (little-endian), so their union's is
            long found = ((crs - ONES) & ~crs | (lfs - ONES) & ~lfs) & HIGHS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < end; i++) {
            if (bytes[i] == CR || bytes[i] == LF) {
                return i;
            }
        }
        return -1;
    }

    private void put(byte b) throws IOException {
        if (count == buffer.length) {
            drain();
        }
        buffer[count++] = b;
    }

    private void put(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
            if (count == buffer.length) {
                drain();
            }
            int n = Math.min(length, buffer.length - count);
            System.arraycopy(bytes, offset, buffer, count, n);
            count += n;
            offset += n;
            length -= n;
        }
    }

    private void drain() throws IOException {
        if (count > 0) {
            target.write(buffer, 0, count);
            count = 0;
        }
    }
}
