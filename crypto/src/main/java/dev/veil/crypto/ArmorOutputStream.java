package dev.veil.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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

    /** CRC-24 of RFC 4880 section 6.1. */
    static final class Crc24 {
        /**
         * Slicing by eight: TABLES[k][b] is what byte b does to the register with k more bytes after it. The register
         * holds the CRC in its top 24 bits, so the CRC is the usual most-significant-bit-first 32-bit table CRC with
         * the polynomial shifted up by 8. Byte by byte, with one table, this was half the time of sealing a 1 MB
         * PGP/MIME message (every byte waits for the one before it: 4 ns a byte here); eight bytes at a time are
         * eight independent lookups.
         */
        private static final int[][] TABLES = new int[8][256];
        private static final VarHandle BIG_LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

        static {
            for (int i = 0; i < 256; i++) {
                int c = i << 24;
                for (int bit = 0; bit < 8; bit++) {
                    c = (c << 1) ^ (c < 0 ? 0x864CFB00 : 0);
                }
                TABLES[0][i] = c;
            }
            for (int k = 1; k < 8; k++) {
                for (int i = 0; i < 256; i++) {
                    int previous = TABLES[k - 1][i];
                    TABLES[k][i] = (previous << 8) ^ TABLES[0][previous >>> 24];
                }
            }
        }

        /** The CRC in the top 24 bits; the low 8 are always zero between updates. */
        private int register = 0xB704CE << 8;

        void update(byte[] bytes, int offset, int length) {
            int c = register;
            int i = offset;
            int end = offset + length;
            int[] t0 = TABLES[0];
            int[] t1 = TABLES[1];
            int[] t2 = TABLES[2];
            int[] t3 = TABLES[3];
            int[] t4 = TABLES[4];
            int[] t5 = TABLES[5];
            int[] t6 = TABLES[6];
            int[] t7 = TABLES[7];
            for (; i + Long.BYTES <= end; i += Long.BYTES) {
                long word = (long) BIG_LONGS.get(bytes, i);
                int high = (int) (word >>> 32) ^ c;
                int low = (int) word;
                c = t7[high >>> 24] ^ t6[(high >>> 16) & 0xFF] ^ t5[(high >>> 8) & 0xFF] ^ t4[high & 0xFF]
                        ^ t3[low >>> 24] ^ t2[(low >>> 16) & 0xFF] ^ t1[(low >>> 8) & 0xFF] ^ t0[low & 0xFF];
            }
            for (; i < end; i++) {
                c = (c << 8) ^ t0[((c >>> 24) ^ bytes[i]) & 0xFF];
            }
            register = c;
        }

        int value() {
            return register >>> 8;
        }
    }
}
