package dev.veil.gateway.relay;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What an upstream sends: header fields that the pipeline's last step put in front (the ARC set: the arc-seal step
 * runs right before relay, so nothing reads the message after it), then the bytes of the file. Held apart so that
 * sealing does not write a copy of every message; writing a new file in the spool's work directory cost 0.2 ms of
 * CPU per message under load, more than reading and hashing it.
 *
 * @param headerPrefix complete header fields, each ending in CRLF (empty: none)
 * @param file the message as the steps left it
 */
public record OutgoingMessage(byte[] headerPrefix, Path file) {
    private static final byte[] NONE = new byte[0];

    public OutgoingMessage {
        headerPrefix = headerPrefix.length == 0 ? NONE : headerPrefix.clone();
    }

    /** The file alone. */
    public static OutgoingMessage of(Path file) {
        return new OutgoingMessage(NONE, file);
    }

    @Override
    public byte[] headerPrefix() {
        return headerPrefix.clone();
    }

    /** Bytes in all. */
    public long size() throws IOException {
        return headerPrefix.length + Files.size(file);
    }

    /**
     * Whether any octet has its high bit set: such a message goes with {@code BODY=8BITMIME} (RFC 6152 3) to a server
     * that offers it. Eight octets at a time, so a 1 MB file takes a fraction of a millisecond.
     */
    public boolean hasEightBitOctets() throws IOException {
        if (anyHighBit(headerPrefix, headerPrefix.length)) {
            return true;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] chunk = new byte[64 * 1024];
            for (int n; (n = in.readNBytes(chunk, 0, chunk.length)) > 0; ) {
                if (anyHighBit(chunk, n)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static final java.lang.invoke.VarHandle LONGS = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
            long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private static boolean anyHighBit(byte[] bytes, int length) {
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES) {
            if (((long) LONGS.get(bytes, i) & 0x8080808080808080L) != 0) {
                return true;
            }
        }
        for (; i < length; i++) {
            if (bytes[i] < 0) {
                return true;
            }
        }
        return false;
    }

    /** The whole message as a stream. */
    public InputStream open() throws IOException {
        InputStream body = Files.newInputStream(file);
        return headerPrefix.length == 0 ? body : new SequenceInputStream(new ByteArrayInputStream(headerPrefix), body);
    }

    /** Writes the whole message, the file in reads of 64 KiB ({@code Files.copy} reads 8 KiB at a time). */
    public void writeTo(OutputStream out) throws IOException {
        out.write(headerPrefix);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] chunk = new byte[64 * 1024];
            for (int n; (n = in.readNBytes(chunk, 0, chunk.length)) > 0; ) {
                out.write(chunk, 0, n);
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutgoingMessage other && java.util.Arrays.equals(headerPrefix, other.headerPrefix)
                && file.equals(other.file);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.hashCode(headerPrefix) + file.hashCode();
    }

    @Override
    public String toString() {
        return "OutgoingMessage[" + headerPrefix.length + " bytes of header fields + " + file + "]";
    }
}
