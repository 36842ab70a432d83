package dev.veil.gateway.cli;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;

/**
 * What {@code veil decrypt} was given. Mostly a mail message (S/MIME or PGP/MIME), but the standard tools also write
 * bare ciphertext, which an admin recovering mail is as likely to have: {@code openssl cms -encrypt -outform DER|PEM}
 * and {@code openssl smime -outform DER} (a CMS ContentInfo), {@code gpg --encrypt} with or without {@code --armor}
 * (an OpenPGP message). A message file starts with header text, so the first bytes tell them apart.
 */
enum CiphertextForm {
    /** A mail message; its Content-Type says S/MIME or PGP/MIME. */
    MESSAGE,
    /** DER or BER CMS: a SEQUENCE whose length does not fit in one byte (enveloped data never does). */
    CMS_DER,
    /** {@code -----BEGIN CMS-----} or {@code -----BEGIN PKCS7-----}: base64 of the DER. */
    CMS_PEM,
    /** A binary OpenPGP message (a packet tag has its high bit set) or an armored one. */
    OPENPGP;

    private static final int PEEK = 64;

    static CiphertextForm of(Path file) throws IOException {
        byte[] start;
        try (InputStream in = Files.newInputStream(file)) {
            start = in.readNBytes(PEEK);
        }
        if (start.length > 1 && (start[0] & 0xff) == 0x30 && (start[1] & 0x80) != 0) {
            return CMS_DER;
        }
        if (start.length > 0 && (start[0] & 0x80) != 0) {
            return OPENPGP;
        }
        String text = new String(start, StandardCharsets.ISO_8859_1).stripLeading().toUpperCase(Locale.ROOT);
        if (text.startsWith("-----BEGIN PGP MESSAGE-----")) {
            return OPENPGP;
        }
        if (text.startsWith("-----BEGIN CMS-----") || text.startsWith("-----BEGIN PKCS7-----")) {
            return CMS_PEM;
        }
        return MESSAGE;
    }

    /** The DER inside a PEM file: the base64 lines after the BEGIN line, up to the END line. */
    static InputStream pemContent(InputStream file) throws IOException {
        // the JDK's MIME decoder reads its source a byte at a time: buffered, not a read call on the file per byte
        InputStream pem = new BufferedInputStream(file, 64 * 1024);
        int b;
        while ((b = pem.read()) >= 0 && b != '\n') {
            // the BEGIN line: its letters are base64 characters too
        }
        InputStream untilEnd = new FilterInputStream(pem) {
            private boolean ended;

            @Override
            public int read() throws IOException {
                if (ended) {
                    return -1;
                }
                int next = super.read();
                if (next == '-') { // base64 has no '-': the END line begins
                    ended = true;
                    return -1;
                }
                return next;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                if (ended) {
                    return -1;
                }
                int n = super.read(buffer, offset, length);
                for (int i = 0; i < n; i++) {
                    if (buffer[offset + i] == '-') { // base64 has no '-': the END line begins
                        ended = true;
                        return i == 0 ? -1 : i;
                    }
                }
                return n;
            }
        };
        return Base64.getMimeDecoder().wrap(untilEnd);
    }
}
