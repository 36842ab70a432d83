package dev.veil.gateway.core;

import dev.veil.crypto.HeaderBlock;
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
    private final QueueId id;
    private final Path file;
    private final FileChannel channel;
    private final long maxSize;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
    private long size;
    /** Octets Veil wrote itself before the client's data (its Received field): not counted against the limit. */
    private long traceSize;
    /** What is left to judge of the client's first line, which follows Veil's trace field. */
    private Lead lead = Lead.NONE;
    private boolean tooBig;
    private boolean closed;

    IncomingMessage(QueueId id, Path file, long maxSize) throws IOException {
        this.id = id;
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
        if (lead != Lead.NONE) {
            int drop = leadToDrop(bytes, offset, length);
            offset += drop;
            length -= drop;
        }
        size += length;
        if (tooBig || (maxSize > 0 && size - traceSize > maxSize)) {
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

    /**
     * Writes Veil's trace field (RFC 5321 4.4) ahead of the client's data. It is not counted against the size limit:
     * a client told the limit in the EHLO reply (and checked at {@code MAIL FROM ... SIZE=}) may send that much.
     */
    public void writeTraceField(byte[] field) throws IOException {
        if (size != 0) {
            throw new IllegalStateException("the trace field goes before the message data");
        }
        writeOwn(field);
        lead = Lead.FIRST_LINE;
    }

    /** Octets Veil writes itself: part of the file, not counted against the size limit. */
    private void writeOwn(byte[] bytes) throws IOException {
        Lead pending = lead;
        lead = Lead.NONE;
        traceSize += bytes.length;
        write(bytes, 0, bytes.length);
        lead = pending;
    }

    /**
     * Octets at the start of {@code bytes} that are not part of the message: UTF-8 byte order marks and mbox
     * {@code From sender date} lines in front of the client's header. The header reader skips either when it comes
     * first; below Veil's Received field either would end the header, and the real header would become body. Both are
     * dropped, as Postfix's sendmail drops the mbox line.
     */
    private int leadToDrop(byte[] bytes, int offset, int length) throws IOException {
        int end = offset + length;
        int at = offset;
        while (true) {
            if (lead == Lead.FIRST_LINE) {
                while (HeaderBlock.hasByteOrderMarkAt(bytes, at, end)) {
                    at += 3;
                }
                if (at >= end) {
                    return length; // the first line is still to come
                }
                if (bytes[at] == ' ' || bytes[at] == '\t') {
                    // it would continue the Received field (also after a dropped mbox line: a probe's tab line wrote
                    // into Veil's field): as a continuation with nothing before it, it starts the body
                    lead = Lead.NONE;
                    writeOwn(new byte[] {'\r', '\n'});
                    return at - offset;
                }
                if (!HeaderBlock.isMboxFromLine(java.util.Arrays.copyOfRange(bytes, at, lineEnd(bytes, at, end)), 0)) {
                    lead = Lead.NONE;
                    return at - offset;
                }
                lead = Lead.MBOX_LINE;
            }
            int lf = dev.veil.crypto.LineEnds.indexOfLf(bytes, at, end);
            if (lf < 0) {
                return length; // the mbox line goes on in the next write
            }
            at = lf + 1;
            lead = Lead.FIRST_LINE; // what follows the mbox line is judged as the first line again
        }
    }

    /** Where the line starting at {@code from} ends, before its CR or LF (or at {@code end}). */
    private static int lineEnd(byte[] bytes, int from, int end) {
        int i = from;
        while (i < end && bytes[i] != '\r' && bytes[i] != '\n') {
            i++;
        }
        return i;
    }

    private enum Lead { NONE, FIRST_LINE, MBOX_LINE }

    /** The id the message is queued under once accepted (known from the start, so its Received field names it). */
    public QueueId id() {
        return id;
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

    /**
     * Puts an empty line (CRLF) at {@code offset}, where a line that is neither a header field nor a continuation
     * ended the header ({@link dev.veil.crypto.HeaderBlock#complete()} false), so that every later reader takes that
     * line and what follows as body: sender authentication, the rewrite of the header, the fields Veil puts on top, and
     * Exchange. Postfix's cleanup does the same ("garbage in primary header", mime_state.c). Without it, a first line
     * {@code " ; dmarc=pass ..."} continued the Authentication-Results field Veil wrote above it, and a From after a
     * line like {@code X Bad: y} escaped DMARC while a lenient reader downstream still showed it (a black-box probe).
     * The file is written again beside itself, synced and renamed over the original; only such mail pays for it.
     */
    public void insertEmptyLineAt(long offset) throws IOException {
        close();
        if (offset < 0 || offset > Files.size(file)) {
            throw new IllegalArgumentException("offset " + offset + " is outside the message");
        }
        Path separated = file.resolveSibling(file.getFileName() + ".sep");
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(separated, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            transferFully(in, 0, offset, out);
            ByteBuffer crlf = ByteBuffer.wrap(new byte[] {'\r', '\n'});
            while (crlf.hasRemaining()) {
                out.write(crlf);
            }
            transferFully(in, offset, in.size() - offset, out);
            out.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(separated);
            throw e;
        }
        Files.move(separated, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        size += 2;
    }

    private static void transferFully(FileChannel in, long from, long count, FileChannel out) throws IOException {
        long done = 0;
        while (done < count) {
            long n = in.transferTo(from + done, count - done, out);
            if (n <= 0) {
                throw new IOException("the message file ended early while it was copied");
            }
            done += n;
        }
    }

    boolean isClosed() {
        return closed;
    }
}
