package dev.veil.gateway.core;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A message being received: its bytes go straight to a temporary spool file, never whole into memory.
 * Bytes past the size limit are not written; the message is then refused as a whole.
 */
public final class IncomingMessage extends OutputStream {
    private static final int BUFFER = 64 * 1024;
    private final Path file;
    private final FileChannel channel;
    private final long maxSize;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
    private long size;
    private boolean tooBig;
    private boolean closed;

    IncomingMessage(Path file, long maxSize) throws IOException {
        this.file = file;
        this.maxSize = maxSize;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        if (closed) {
            throw new IOException("message already closed");
        }
        size += length;
        if (tooBig || (maxSize > 0 && size > maxSize)) {
            tooBig = true;
            return;
        }
        while (length > 0) {
            int n = Math.min(length, buffer.remaining());
            buffer.put(bytes, offset, n);
            offset += n;
            length -= n;
            if (!buffer.hasRemaining()) {
                drain();
            }
        }
    }

    private void drain() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    /** Drains and fsyncs: after this returns the bytes are on disk. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!tooBig) {
                drain();
                channel.force(true);
            }
        } finally {
            channel.close();
        }
    }

    /** Closes and removes the file: for refused or aborted messages, so nothing is left behind. */
    public void discard() {
        try {
            close();
        } catch (IOException ignored) {
            // the file goes anyway
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // swept by Spool.removeStaleIncoming at the next start
        }
    }

    public boolean tooBig() {
        return tooBig;
    }

    /** Octets received (including any past the limit). */
    public long size() {
        return size;
    }

    Path file() {
        return file;
    }

    /** The header of what was received (at the end of DATA: of the whole message); no more can be written after. */
    public dev.veil.crypto.HeaderBlock header() throws IOException {
        close();
        try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
            return dev.veil.crypto.HeaderBlock.read(in);
        }
    }

    boolean isClosed() {
        return closed;
    }
}
