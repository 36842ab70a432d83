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
    /** Largest buffer: chunks this long keep the cipher at full speed (writes of 4,097 bytes cost GCM a fifth more). */
    private static final int MAX_BUFFER = 64 * 1024;
    /** Canonical runs at least this long are written from the caller's array (see {@link #pass}). */
    private static final int DIRECT_MIN = 4 * 1024;
    /** The cipher's block: writes in multiples of it keep SunJCE's GCM on its fast path. */
    private static final int BLOCK = 16;
    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private final OutputStream target;
    private final boolean closeTarget;
    /**
     * Lines and their new ends are gathered here and go on in writes of up to 64 KiB: a line is two writes here, each
     * small write into a cipher stream would cost a cipher call, and a (synchronized) BufferedOutputStream in between
     * cost a fifth of sealing a 1 MB message of short lines.
     */
    private byte[] buffer;
    private int count;
    private boolean afterCr;
    private boolean finished;

    /** Buffers 4 KiB at first and grows to {@link #MAX_BUFFER} as the content proves long. */
    CrlfOutputStream(OutputStream target, boolean closeTarget) {
        this(target, closeTarget, 4 * 1024);
    }

    /**
     * @param initialBuffer bytes buffered before the first write to the target: a header field needs a few hundred,
     *                      and a 64 KiB buffer per field (zeroed each time) was a fifth of the samples of sealing a
     *                      5 KB message
     */
    CrlfOutputStream(OutputStream target, boolean closeTarget, int initialBuffer) {
        this.target = target;
        this.closeTarget = closeTarget;
        this.buffer = new byte[Math.max(16, Math.min(initialBuffer, MAX_BUFFER))];
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
            int canonical = canonicalRun(bytes, i, end);
            if (canonical > i) {
                pass(bytes, i, canonical - i);
                i = canonical;
                if (i == end) {
                    return;
                }
            }
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
     * The end of the longest run from {@code from} that needs no change: every CR in it followed by LF, every LF
     * preceded by CR, and not ending in a CR. Most mail is already CRLF text: passed on line by line, a megabyte of
     * 78-byte lines took this stream 502 µs; in runs, 133 to 147 µs.
     *
     * <p>Eight bytes at a time: a word without a byte below 14 (most of them) has no line end; for the others the
     * exact CR and LF masks must agree, LF flags being the CR flags one byte higher (little-endian), with a CR in the
     * word's top byte carried to the next word. The first word that disagrees ends the run, and the caller deals
     * with its line ends one at a time.
     */
    static int canonicalRun(byte[] bytes, int from, int end) {
        int i = from;
        long carry = 0;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            long word = (long) LONGS.get(bytes, i);
            if (((word - 0x0E0E0E0E0E0E0E0EL) & ~word & 0x8080808080808080L) == 0) {
                if (carry != 0) {
                    break; // a CR ended the last word, and no LF starts this one
                }
                continue;
            }
            long cr = equalBytes(word, 0x0D0D0D0D0D0D0D0DL);
            long lf = equalBytes(word, 0x0A0A0A0A0A0A0A0AL);
            if (lf != ((cr << 8) | carry)) {
                break;
            }
            carry = cr >>> 56;
        }
        return carry != 0 ? i - 1 : i;
    }

    /** 0x80 in every byte of {@code word} that equals the byte repeated in {@code pattern}, 0 elsewhere (exact). */
    private static long equalBytes(long word, long pattern) {
        long x = word ^ pattern;
        long low = (x & 0x7F7F7F7F7F7F7F7FL) + 0x7F7F7F7F7F7F7F7FL;
        return ~(low | x | 0x7F7F7F7F7F7F7F7FL);
    }

    /** The index of the first CR or LF in {@code bytes[from, end)}, or {@code end}. */
    static int nextLineEnd(byte[] bytes, int from, int end) {
        int at = LineEnds.indexOfCrOrLf(bytes, from, end);
        return at < 0 ? end : at;
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

    /**
     * Fills the buffer to the brim before writing it on, so that the cipher gets whole blocks: SunJCE's GCM takes
     * a slower path for the held-back partial block of every write whose length is not a multiple of 16 (a 1 MB
     * message took 263 µs in writes of 65,535 bytes, 196 µs in writes of 65,520).
     */
    private void put(byte[] bytes, int offset, int length) throws IOException {
        while (length > buffer.length - count) {
            int room = buffer.length - count;
            System.arraycopy(bytes, offset, buffer, count, room);
            count += room;
            offset += room;
            length -= room;
            drain();
            grow();
        }
        System.arraycopy(bytes, offset, buffer, count, length);
        count += length;
    }

    /**
     * A run that needs no change. A long one goes to the target straight from the caller's array, in a multiple of
     * 16 bytes (after the buffer is topped up to one and written), so the cipher still gets whole blocks and a
     * megabyte is not copied once more on its way.
     */
    private void pass(byte[] bytes, int offset, int length) throws IOException {
        if (length < DIRECT_MIN) {
            put(bytes, offset, length);
            return;
        }
        if (count > 0) {
            int topUp = (BLOCK - count % BLOCK) % BLOCK;
            put(bytes, offset, topUp);
            offset += topUp;
            length -= topUp;
            drain();
        }
        int direct = length - length % BLOCK;
        target.write(bytes, offset, direct);
        put(bytes, offset + direct, length - direct);
    }

    private void putCrlf() throws IOException {
        if (count == buffer.length) {
            drain();
            grow();
        }
        buffer[count++] = CR;
        if (count == buffer.length) {
            drain();
            grow();
        }
        buffer[count++] = LF;
    }

    /** The content outgrew the buffer: fewer, larger writes from now on, up to {@link #MAX_BUFFER}. */
    private void grow() {
        if (buffer.length < MAX_BUFFER) {
            buffer = new byte[Math.min(4 * buffer.length, MAX_BUFFER)];
        }
    }

    private void drain() throws IOException {
        if (count > 0) {
            target.write(buffer, 0, count);
            count = 0;
        }
    }
}
