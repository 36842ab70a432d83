package dev.veil.crypto;

import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream that hands out one chunk at a time: a subclass's {@link #fill()} replaces {@link #buffer} (and
 * resets {@link #position}) whenever the current chunk is used up, and says when there is no more.
 */
abstract class ChunkedInputStream extends InputStream {
    protected byte[] buffer = new byte[0];
    protected int position;

    /** Makes at least one unread byte available in {@link #buffer}; false at the end of the stream. */
    protected abstract boolean fill() throws IOException;

    @Override
    public int read() throws IOException {
        if (!fill()) {
            return -1;
        }
        return buffer[position++] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(length, buffer.length - position);
        System.arraycopy(buffer, position, target, offset, n);
        position += n;
        return n;
    }
}
