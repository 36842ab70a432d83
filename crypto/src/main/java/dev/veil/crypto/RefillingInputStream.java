package dev.veil.crypto;

import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream that hands out a buffer its subclass refills a chunk at a time (a decoder, a decryptor):
 * {@link #fill()} puts the next bytes in {@code output[position, limit)}, or sets {@link #ended}.
 */
abstract class RefillingInputStream extends InputStream {
    protected byte[] output;
    protected int position;
    protected int limit;
    protected boolean ended;

    protected RefillingInputStream(byte[] output) {
        this.output = output;
    }

    /** The next chunk into {@code output[position, limit)} (may be empty), or {@code ended = true}. */
    protected abstract void fill() throws IOException;

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (position == limit) {
            if (ended) {
                return -1;
            }
            fill();
        }
        int n = Math.min(len, limit - position);
        System.arraycopy(output, position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public int available() {
        return limit - position;
    }
}
