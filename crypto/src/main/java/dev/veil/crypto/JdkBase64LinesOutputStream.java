package dev.veil.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Base64;

/**
 * Base64 in lines of a fixed length, each ended by CRLF, encoded with the JDK's basic encoder: for JVMs where HotSpot
 * has a vectorised intrinsic for it ({@link Base64LinesOutputStream#open} chooses). Encodes 1,024 lines at a time
 * and then cuts the result into lines: the JDK's own {@code Base64.Encoder.wrap} stream writes every line separately
 * (a fifth of the time of sealing a 1 MB S/MIME message), and its MIME encoder encodes line by line, which misses
 * the vectorised path of the basic encoder: 211 µs a megabyte against 17 µs, plus 55 µs for cutting (on a machine
 * with AVX-512).
 *
 * <p>{@link #close()} encodes what is left and ends the last line; it flushes but does not close the target.
 */
final class JdkBase64LinesOutputStream extends OutputStream {
    /** Lines encoded at a time at most; a block starts at {@link #FIRST_LINES} and grows as the content proves long. */
    private static final int LINES_PER_BLOCK = 1024;
    private static final int FIRST_LINES = 64;
    private static final Base64.Encoder BASE64 = Base64.getEncoder();
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORTS = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    /** CR then LF, as one little-endian short. */
    private static final short CRLF = 0x0A0D;

    private final OutputStream out;
    private final int lineLength;
    private final int bytesPerLine;
    private byte[] block;
    private byte[] encoded = new byte[0];
    private byte[] lines = new byte[0];
    private int filled;
    private boolean closed;

    /** @param lineLength characters a line, a multiple of 4 */
    JdkBase64LinesOutputStream(OutputStream out, int lineLength) {
        if (lineLength <= 0 || lineLength % 4 != 0) {
            throw new IllegalArgumentException("line length must be a positive multiple of 4: " + lineLength);
        }
        this.out = out;
        this.lineLength = lineLength;
        this.bytesPerLine = lineLength / 4 * 3;
        this.block = new byte[bytesPerLine * FIRST_LINES];
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
            int n = Math.min(length, block.length - filled);
            System.arraycopy(bytes, offset, block, filled, n);
            filled += n;
            offset += n;
            length -= n;
            if (filled == block.length) {
                if (block.length < bytesPerLine * LINES_PER_BLOCK) {
                    // a long content: encode more lines at a time (small messages never allocate the full block)
                    block = Arrays.copyOf(block, Math.min(4 * block.length, bytesPerLine * LINES_PER_BLOCK));
                } else {
                    writeLines();
                }
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
        if (filled > 0) {
            writeLines();
        }
        out.flush();
    }

    private void writeLines() throws IOException {
        byte[] source = filled == block.length ? block : Arrays.copyOf(block, filled);
        int encodedLength = (filled + 2) / 3 * 4;
        if (encoded.length < encodedLength) {
            encoded = new byte[encodedLength];
            lines = new byte[encodedLength + (encodedLength / lineLength + 1) * 2];
        }
        int n = BASE64.encode(source, encoded);
        int length = 0;
        int at = 0;
        if (lineLength == 76) {
            // MIME's lines, unrolled: 9 longs, an int and CRLF as one short. Per megabyte of content, measured here:
            // 77-110 µs with an arraycopy per line, 86-117 µs with a loop of 8-byte moves of any line length, 49-72 µs this way
            for (; at + 76 <= n; at += 76, length += 78) {
                for (int i = 0; i < 72; i += Long.BYTES) {
                    LONGS.set(lines, length + i, (long) LONGS.get(encoded, at + i));
                }
                INTS.set(lines, length + 72, (int) INTS.get(encoded, at + 72));
                SHORTS.set(lines, length + 76, CRLF);
            }
        } else {
            int longs = lineLength / Long.BYTES;
            boolean halfLong = lineLength % Long.BYTES != 0; // a multiple of 4
            for (; at + lineLength <= n; at += lineLength) {
                for (int i = 0; i < longs; i++) {
                    LONGS.set(lines, length + i * Long.BYTES, (long) LONGS.get(encoded, at + i * Long.BYTES));
                }
                if (halfLong) {
                    INTS.set(lines, length + longs * Long.BYTES, (int) INTS.get(encoded, at + longs * Long.BYTES));
                }
                length += lineLength;
                SHORTS.set(lines, length, CRLF);
                length += 2;
            }
        }
        if (at < n) {
            System.arraycopy(encoded, at, lines, length, n - at);
            length += n - at;
            lines[length++] = '\r';
            lines[length++] = '\n';
        }
        out.write(lines, 0, length);
        filled = 0;
    }
}
