package dev.veil.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * OpenPGP ASCII armor (RFC 4880 section 6.2) with CRLF line ends, 64 characters a line and the CRC-24
 * checksum line GnuPG 2.2 expects. Bouncy Castle's {@code ArmoredOutputStream} encodes a byte at a time (about
 * 60 MB/s here) and ends lines with the platform line separator; this encodes whole lines at a time
 * ({@link Base64LinesOutputStream#open}).
 *
 * <p>{@link #close()} writes the checksum (unless told not to) and the END line; it flushes but does not close the
 * target.
 */
final class ArmorOutputStream extends OutputStream {
    private final OutputStream out;
    private final String type;
    private final OutputStream lines;
    private final Crc24 crc = new Crc24();
    private final boolean checksum;
    private boolean started;
    private boolean closed;

    /** @param type the armor type, e.g. {@code PGP MESSAGE} or {@code PGP PUBLIC KEY BLOCK} */
    ArmorOutputStream(OutputStream out, String type) {
        this(out, type, true);
    }

    /** @param checksum whether to end with the CRC-24 line (RFC 9580 forbids it around SEIPD v2 messages) */
    ArmorOutputStream(OutputStream out, String type, boolean checksum) {
        this.out = out;
        this.type = type;
        this.checksum = checksum;
        this.lines = Base64LinesOutputStream.open(out, 64);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        if (closed) {
            throw new IOException("armor already closed");
        }
        start();
        if (checksum) {
            crc.update(bytes, offset, length);
        }
        lines.write(bytes, offset, length);
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
        start();
        lines.close();
        closed = true;
        if (checksum) {
            int value = crc.value();
            byte[] bytes = {(byte) (value >> 16), (byte) (value >> 8), (byte) value};
            ascii("=" + Base64.getEncoder().encodeToString(bytes) + "\r\n");
        }
        ascii("-----END " + type + "-----\r\n");
        out.flush();
    }

    private void start() throws IOException {
        if (!started) {
            started = true;
            ascii("-----BEGIN " + type + "-----\r\n\r\n");
        }
    }

    private void ascii(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Writes {@code data} armored into a string (keys: small). */
    static String armor(byte[] data, String type) {
        return armor(data, type, true);
    }

    /** As above, with the CRC-24 line or without it. */
    static String armor(byte[] data, String type, boolean checksum) {
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        try (ArmorOutputStream armor = new ArmorOutputStream(text, type, checksum)) {
            armor.write(data);
        } catch (IOException e) {
            throw new IllegalStateException("armoring in memory failed", e);
        }
        return text.toString(StandardCharsets.US_ASCII);
    }

    /** CRC-24 of RFC 4880 section 6.1, table driven. */
    static final class Crc24 {
        private static final int[] TABLE = new int[256];

        static {
            for (int i = 0; i < 256; i++) {
                int c = i << 16;
                for (int bit = 0; bit < 8; bit++) {
                    c <<= 1;
                    if ((c & 0x1000000) != 0) {
                        c ^= 0x1864CFB;
                    }
                }
                TABLE[i] = c & 0xFFFFFF;
            }
        }

        private int crc = 0xB704CE;

        void update(byte[] bytes, int offset, int length) {
            int c = crc;
            for (int i = offset, end = offset + length; i < end; i++) {
                c = ((c << 8) ^ TABLE[((c >>> 16) ^ bytes[i]) & 0xFF]) & 0xFFFFFF;
            }
            crc = c;
        }

        int value() {
            return crc;
        }
    }
}
