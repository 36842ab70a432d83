package dev.veil.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Mail addresses as key store keys: normalised, validated, and mapped to safe file names. */
final class Addresses {
    private Addresses() {
    }

    /** Lower-cased and trimmed; rejects what cannot be a mailbox or go into a certificate. */
    static String normalise(String address) throws KeyException {
        if (address == null) {
            throw new KeyException("no address given");
        }
        String normalised = address.strip().toLowerCase(Locale.ROOT);
        int at = normalised.lastIndexOf('@');
        if (at <= 0 || at == normalised.length() - 1 || normalised.length() > 254) {
            throw new KeyException("'" + address + "' is not a mail address (expected local@domain)");
        }
        for (int i = 0; i < normalised.length(); i++) {
            char c = normalised.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                throw new KeyException("'" + address + "' is not a mail address: it contains a space or control character");
            }
            if (c > 0x7f) {
                // rfc822Name and emailAddress are IA5String; EAI needs SmtpUTF8Mailbox (RFC 8398), not done yet.
                throw new KeyException("'" + address + "' has non-ASCII characters: internationalised addresses "
                        + "are not supported for S/MIME certificates yet");
            }
        }
        return normalised;
    }

    /** A file name that stays readable for ordinary addresses and cannot escape the directory for odd ones. */
    static String fileName(String normalisedAddress) {
        StringBuilder name = new StringBuilder();
        byte[] bytes = normalisedAddress.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean plain = (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '@' || b == '-' || b == '_' || b == '+'
                    || (b == '.' && i > 0);
            if (plain) {
                name.append((char) b);
            } else {
                name.append('%').append(String.format("%02x", b));
            }
        }
        return name.append(".pem").toString();
    }

    /** The inverse of {@link #fileName}, or null for files that are not user entries. */
    static String fromFileName(String fileName) {
        if (!fileName.endsWith(".pem") || fileName.startsWith(".")) {
            return null;
        }
        String encoded = fileName.substring(0, fileName.length() - 4);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%') {
                if (i + 2 >= encoded.length()) {
                    return null;
                }
                int high = Character.digit(encoded.charAt(i + 1), 16);
                int low = Character.digit(encoded.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    return null;
                }
                bytes.write(high * 16 + low);
                i += 2;
            } else {
                bytes.write(c);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
