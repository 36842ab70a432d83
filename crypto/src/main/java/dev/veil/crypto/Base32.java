package dev.veil.crypto;

/**
 * RFC 4648 base32 in lower case without padding: the pseudonym alphabet. It survives every system a pseudonym
 * travels through (email local parts, Exchange display names, file names) and is case-insensitive on the way back.
 */
final class Base32 {
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final int[] VALUES = new int[128];

    static {
        java.util.Arrays.fill(VALUES, -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            VALUES[ALPHABET[i]] = i;
            VALUES[Character.toUpperCase(ALPHABET[i])] = i;
        }
    }

    private Base32() {
    }

    static String encode(byte[] data) {
        return encode(data, (data.length * 8 + 4) / 5);
    }

    /** The first {@code chars} characters of the encoding (for truncated keyed hashes). */
    static String encode(byte[] data, int chars) {
        StringBuilder out = new StringBuilder(chars);
        int buffer = 0;
        int bits = 0;
        for (int i = 0; i < data.length && out.length() < chars; i++) {
            buffer = (buffer << 8) | (data[i] & 0xff);
            bits += 8;
            while (bits >= 5 && out.length() < chars) {
                out.append(ALPHABET[(buffer >>> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0 && out.length() < chars) {
            out.append(ALPHABET[(buffer << (5 - bits)) & 31]);
        }
        return out.toString();
    }

    /** The bytes, or null if {@code text} is not unpadded base32 of whole bytes. */
    static byte[] decode(CharSequence text, int from) {
        int length = text.length() - from;
        int bytes = length * 5 / 8;
        if ((bytes * 8 + 4) / 5 != length) {
            return null; // a length no whole number of bytes encodes to
        }
        byte[] out = new byte[bytes];
        int buffer = 0;
        int bits = 0;
        int n = 0;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            int v = c < 128 ? VALUES[c] : -1;
            if (v < 0) {
                return null;
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out[n++] = (byte) (buffer >>> (bits - 8));
                bits -= 8;
            }
        }
        if ((buffer & ((1 << bits) - 1)) != 0) {
            return null; // non-canonical: trailing bits set
        }
        return out;
    }
}
