package dev.veil.crypto;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * Reads the binary content of an ASCII-armored {@code PGP MESSAGE} (RFC 4880 section 6.2): skips anything
 * before the BEGIN line and the armor headers, decodes the base64 in blocks with the JDK's decoder, and checks
 * the CRC-24 line if there is one (RFC 9580 made it optional). Bouncy Castle's {@code ArmoredInputStream}
 * decodes a byte at a time (about 40 MB/s here). Line ends may be CRLF or LF; trailing whitespace is ignored.
 */
final class ArmorInputStream extends InputStream {
    private static final int MAX_LINE = 8 * 1024;
    private static final int BASE64_BLOCK = 64 * 1024;
    private static final byte[] BEGIN = "-----BEGIN PGP MESSAGE-----".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "-----END PGP MESSAGE-----".getBytes(StandardCharsets.US_ASCII);

    private final InputStream in;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;
    private final byte[] line = new byte[MAX_LINE];
    private int lineLength;

    private final byte[] base64 = new byte[BASE64_BLOCK + MAX_LINE];
    private int base64Length;
    private byte[] decoded = new byte[0];
    private int decodedPosition;
    private final ArmorOutputStream.Crc24 crc = new ArmorOutputStream.Crc24();
    private boolean started;
    private boolean ended;

    ArmorInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (decodedPosition >= decoded.length) {
            if (ended) {
                return -1;
            }
            fill();
        }
        int n = Math.min(length, decoded.length - decodedPosition);
        System.arraycopy(decoded, decodedPosition, target, offset, n);
        decodedPosition += n;
        return n;
    }

    private void fill() throws IOException {
        if (!started) {
            start();
        }
        while (base64Length < BASE64_BLOCK) {
            if (!readLine()) {
                throw new EOFException("the armored OpenPGP message ends without an END line");
            }
            if (startsWith(END)) {
                finish(null);
                return;
            }
            if (lineLength == 5 && line[0] == '=') {
                byte[] checksum = Arrays.copyOfRange(line, 1, 5);
                if (!readLine() || !startsWith(END)) {
                    throw new IOException("the armored OpenPGP message has no END line after its checksum");
                }
                finish(checksum);
                return;
            }
            System.arraycopy(line, 0, base64, base64Length, lineLength);
            base64Length += lineLength;
        }
        int whole = base64Length / 4 * 4;
        decode(whole);
    }

    private void start() throws IOException {
        do {
            if (!readLine()) {
                throw new IOException("not an armored OpenPGP message: no BEGIN PGP MESSAGE line");
            }
        } while (!startsWith(BEGIN));
        started = true;
        // Armor headers ("Version: ...") up to an empty line; a line without a colon is already data.
        while (true) {
            if (!readLine()) {
                throw new EOFException("the armored OpenPGP message ends in its header");
            }
            if (lineLength == 0) {
                return;
            }
            if (indexOf((byte) ':') < 0) {
                System.arraycopy(line, 0, base64, 0, lineLength);
                base64Length = lineLength;
                return;
            }
        }
    }

    private void finish(byte[] checksum) throws IOException {
        decode(base64Length);
        ended = true;
        if (checksum != null) {
            byte[] expected;
            try {
                expected = Base64.getDecoder().decode(checksum);
            } catch (IllegalArgumentException e) {
                throw new IOException("the armor checksum line is not base64", e);
            }
            int value = crc.value();
            if (expected.length != 3 || (expected[0] & 0xff) != (value >> 16 & 0xff) || (expected[1] & 0xff) != (value >> 8 & 0xff)
                    || (expected[2] & 0xff) != (value & 0xff)) {
                throw new IOException("armor checksum mismatch: the OpenPGP message was damaged");
            }
        }
    }

    /** Decodes the first {@code count} base64 characters (a multiple of 4, or all at the end). */
    private void decode(int count) throws IOException {
        try {
            decoded = Base64.getDecoder().decode(Arrays.copyOf(base64, count));
        } catch (IllegalArgumentException e) {
            throw new IOException("the armored OpenPGP message is not valid base64: " + e.getMessage(), e);
        }
        decodedPosition = 0;
        crc.update(decoded, 0, decoded.length);
        System.arraycopy(base64, count, base64, 0, base64Length - count);
        base64Length -= count;
    }

    /** The next line into {@link #line} without its line end or trailing whitespace; false at end of input. */
    private boolean readLine() throws IOException {
        lineLength = 0;
        boolean any = false;
        while (true) {
            if (position == limit) {
                limit = in.read(buffer);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    trim();
                    return any;
                }
            }
            any = true;
            int i = position;
            while (i < limit && buffer[i] != '\n') {
                i++;
            }
            int n = i - position;
            if (lineLength + n > MAX_LINE) {
                throw new IOException("a line of the armored OpenPGP message is longer than " + MAX_LINE + " bytes");
            }
            System.arraycopy(buffer, position, line, lineLength, n);
            lineLength += n;
            position = i;
            if (i < limit) {
                position++;
                trim();
                return true;
            }
        }
    }

    private void trim() {
        while (lineLength > 0 && (line[lineLength - 1] == '\r' || line[lineLength - 1] == ' ' || line[lineLength - 1] == '\t')) {
            lineLength--;
        }
    }

    private boolean startsWith(byte[] prefix) {
        return lineLength >= prefix.length && Arrays.equals(line, 0, prefix.length, prefix, 0, prefix.length);
    }

    private int indexOf(byte b) {
        for (int i = 0; i < lineLength; i++) {
            if (line[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
