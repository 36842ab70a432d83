package dev.veil.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Base64;

/**
 * Base64 in lines of a fixed length, each ended by CRLF, as MIME (76) and OpenPGP armor (64) want it.
 *
 * <p>Whole lines are encoded straight into the output buffer, six input bytes (one 8-byte read) to eight characters
 * (one 8-byte write) at a time through a table of the two characters for every 12 bits; only the last, short line
 * goes through the JDK's encoder (for its padding). The JDK's own encoder is vectorised only where HotSpot has an
 * intrinsic for it (AVX-512 in JDK 17); elsewhere it looks up one character at a time, and it was two thirds of the
 * time of sealing a 1 MB S/MIME message on a 2-core AVX2 machine: 860-970 µs a megabyte, against 360-410 µs for this
 * table. Encoding into lines directly also saves cutting an encoded block into lines, a second pass over it.
 *
 * <p>Where HotSpot does have the intrinsic, the JDK's encoder is far faster (17 µs a megabyte with AVX-512), and
 * {@link #open} returns {@link JdkBase64LinesOutputStream} instead.
 *
 * <p>{@link #close()} encodes what is left and ends the last line; it flushes but does not close the target.
 */
final class Base64LinesOutputStream extends OutputStream {
    /**
     * Whether this JVM compiles {@code java.util.Base64}'s encoder to vector instructions: HotSpot's own flag, set
     * when the CPU and JDK have the intrinsic (JDK 17: AVX-512 only; later JDKs also AVX2). False if it cannot be read
     * (another JVM, no {@code jdk.management}).
     */
    static final boolean JDK_ENCODER_INTRINSIC = jdkEncoderIntrinsic();

    /** Lines held for one write to the target at most; the buffer starts at {@link #FIRST_LINES} and grows. */
    private static final int MAX_LINES = 1024;
    private static final int FIRST_LINES = 64;
    /** The base64 alphabet (RFC 4648 table 1), each character's value its index. */
    static final byte[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** For each 12-bit value, its two base64 characters: the first in the low byte (written little-endian). */
    private static final char[] PAIRS = new char[4096];
    private static final VarHandle BIG_LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORTS = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    /** CR then LF, as one little-endian short. */
    private static final short CRLF = 0x0A0D;

    static {
        for (int i = 0; i < PAIRS.length; i++) {
            PAIRS[i] = (char) (ALPHABET[i >>> 6] | ALPHABET[i & 63] << 8);
        }
    }

    private final OutputStream out;
    private final int lineLength;
    private final int bytesPerLine;
    /** Six-byte groups in a line, and whether three bytes follow them (76: 9 groups and 3 bytes; 64: 8 groups). */
    private final int groups;
    private final boolean halfGroup;
    /**
     * Bytes a line's encoding reads from where it starts: the last group's 8-byte read goes 2 bytes past its six
     * unless three more bytes of the line follow it. A line that close to the end of the caller's array is copied.
     */
    private final int readSpan;
    /** The start of a line that came in pieces; 8 bytes longer than a line, so the reads never leave it. */
    private final byte[] partial;
    private int partialCount;
    private byte[] lines;
    private int linesCount;
    private boolean closed;

    /** The faster encoder on this JVM, in lines of {@code lineLength} characters (a multiple of 4). */
    static OutputStream open(OutputStream out, int lineLength) {
        return JDK_ENCODER_INTRINSIC ? new JdkBase64LinesOutputStream(out, lineLength)
                : new Base64LinesOutputStream(out, lineLength);
    }

    private static boolean jdkEncoderIntrinsic() {
        try {
            return Boolean.parseBoolean(java.lang.management.ManagementFactory
                    .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption("UseBASE64Intrinsics").getValue());
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** @param lineLength characters a line, a multiple of 4 */
    Base64LinesOutputStream(OutputStream out, int lineLength) {
        if (lineLength <= 0 || lineLength % 4 != 0) {
            throw new IllegalArgumentException("line length must be a positive multiple of 4: " + lineLength);
        }
        this.out = out;
        this.lineLength = lineLength;
        this.bytesPerLine = lineLength / 4 * 3;
        this.groups = bytesPerLine / 6;
        this.halfGroup = bytesPerLine % 6 != 0;
        this.readSpan = Math.max(bytesPerLine, groups * 6 + 2);
        this.partial = new byte[bytesPerLine + Long.BYTES];
        this.lines = new byte[(lineLength + 2) * FIRST_LINES];
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        if (closed) {
            throw new IOException("base64 stream already closed");
        }
        while (length > 0) {
            if (partialCount == 0 && length >= bytesPerLine) {
                // whole lines straight from the caller's array, as many as fit the buffer, except one whose last
                // 8-byte read would leave the array
                int whole = Math.min(length, bytes.length - offset - (readSpan - bytesPerLine)) / bytesPerLine;
                if (whole > 0) {
                    int lineBytes = lineLength + 2;
                    room(lineBytes);
                    whole = Math.min(whole, (lines.length - linesCount) / lineBytes);
                    encodeLines(bytes, offset, whole);
                    offset += whole * bytesPerLine;
                    length -= whole * bytesPerLine;
                    continue;
                }
            }
            int n = Math.min(length, bytesPerLine - partialCount);
            System.arraycopy(bytes, offset, partial, partialCount, n);
            partialCount += n;
            offset += n;
            length -= n;
            if (partialCount == bytesPerLine) {
                room(lineLength + 2);
                encodeLines(partial, 0, 1);
                partialCount = 0;
            }
        }
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (partialCount > 0) {
            // the short last line, with padding
            byte[] last = Base64.getEncoder().encode(Arrays.copyOf(partial, partialCount));
            room(last.length + 2);
            System.arraycopy(last, 0, lines, linesCount, last.length);
            linesCount += last.length;
            SHORTS.set(lines, linesCount, CRLF);
            linesCount += 2;
            partialCount = 0;
        }
        drain();
        out.flush();
    }

    /**
     * Encodes {@code count} lines of {@link #bytesPerLine} bytes from {@code source[at]}, each with its CRLF, into
     * the buffer, which has room for them. MIME's and armor's line lengths get calls with constant group counts,
     * which the JIT compiler unrolls: with the count read from a field, the 9-group loop of a MIME line ran a fifth
     * slower.
     */
    private void encodeLines(byte[] source, int at, int count) {
        if (lineLength == 76) {
            linesCount = encode(source, at, count, lines, linesCount, 9 * 6, true);
        } else if (lineLength == 64) {
            linesCount = encode(source, at, count, lines, linesCount, 8 * 6, false);
        } else {
            linesCount = encode(source, at, count, lines, linesCount, groups * 6, halfGroup);
        }
    }

    /** Returns where the encoded lines end in {@code target}. */
    private static int encode(byte[] source, int at, int count, byte[] target, int to, int groupBytes,
                              boolean halfGroup) {
        char[] pairs = PAIRS;
        for (int line = 0; line < count; line++) {
            for (int end = at + groupBytes; at < end; at += 6, to += 8) {
                long word = (long) BIG_LONGS.get(source, at); // the six bytes in its top 48 bits
                LONGS.set(target, to, pairs[(int) (word >>> 52)]
                        | (long) pairs[(int) (word >>> 40) & 0xFFF] << 16
                        | (long) pairs[(int) (word >>> 28) & 0xFFF] << 32
                        | (long) pairs[(int) (word >>> 16) & 0xFFF] << 48);
            }
            if (halfGroup) {
                int three = (source[at] & 0xFF) << 16 | (source[at + 1] & 0xFF) << 8 | source[at + 2] & 0xFF;
                INTS.set(target, to, pairs[three >>> 12] | pairs[three & 0xFFF] << 16);
                at += 3;
                to += 4;
            }
            SHORTS.set(target, to, CRLF);
            to += 2;
        }
        return to;
    }

    /** Makes room for {@code n} more bytes of lines: a larger buffer while the content proves long, else a write. */
    private void room(int n) throws IOException {
        if (lines.length - linesCount >= n) {
            return;
        }
        int most = (lineLength + 2) * MAX_LINES;
        if (lines.length < most) {
            lines = Arrays.copyOf(lines, Math.max(linesCount + n, Math.min(4 * lines.length, most)));
            return;
        }
        drain();
    }

    private void drain() throws IOException {
        if (linesCount > 0) {
            out.write(lines, 0, linesCount);
            linesCount = 0;
        }
    }
}
