package dev.veil.crypto;

import java.io.InputStream;

/** A large test message made as it is read: {@code size} bytes of 'a' with every 100th an LF (nothing held in memory). */
final class GeneratedLines {
    private GeneratedLines() {
    }

    static InputStream of(long size) {
        return new InputStream() {
            long position;

            @Override
            public int read() {
                return position < size ? (position++ % 100 == 99 ? '\n' : 'a') : -1;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) {
                if (position >= size) {
                    return -1;
                }
                int count = (int) Math.min(length, size - position);
                for (int i = 0; i < count; i++) {
                    buffer[offset + i] = (byte) ((position + i) % 100 == 99 ? '\n' : 'a');
                }
                position += count;
                return count;
            }
        };
    }
}
