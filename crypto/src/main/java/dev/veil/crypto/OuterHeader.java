package dev.veil.crypto;

import dev.veil.config.ContentCipher;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;

/**
 * The header of a sealed message, the only part the relay and mailbox see in clear. It carries what
 * delivery and threading need and nothing else (RFC 9788 header protection: the full original header,
 * Subject included, travels only inside the encrypted part).
 */
final class OuterHeader {
    /** Copied raw, in their original order. Lower case for lookup. */
    static final Set<String> COPIED = Set.of(
            "from", "sender", "reply-to", "to", "cc", "date", "message-id", "in-reply-to", "references");

    /** Written outside only as {@link SealRequest#outerValues()} gives it, first, never copied from the message. */
    static final String TRACE = "received";

    /** RFC 9788's suggested placeholder, used when the policy gives none. */
    static final String DEFAULT_SUBJECT = "[...]";

    private static final byte[] CRLF = {'\r', '\n'};
    /** UTF-8 bytes per encoded word: 45 bytes become 60 base64 characters, within the 75-character limit. */
    private static final int ENCODED_WORD_BYTES = 45;

    private OuterHeader() {
    }

    /**
     * The outer header of an S/MIME message for this request: shown fields (and {@link AutoReplyFields}), placeholder
     * Subject, CMS content type.
     */
    static void write(HeaderBlock original, SealRequest request, OutputStream out) throws IOException {
        writeShownFields(original, request, out);
        ascii(out, "Subject: " + encodeSubject(request.subjectPlaceholder()) + "\r\n");
        ascii(out, "MIME-Version: 1.0\r\n");
        String smimeType = request.cipher() == ContentCipher.AES_256_GCM ? "authEnveloped-data" : "enveloped-data";
        ascii(out, "Content-Type: application/pkcs7-mime; smime-type=" + smimeType + "; name=\"smime.p7m\"\r\n");
        ascii(out, "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n");
        ascii(out, "Content-Transfer-Encoding: base64\r\n");
        out.write(CRLF);
    }

    /**
     * The {@link #COPIED} fields the request lets show, in their original order: raw, or — for a field the request
     * gives {@link SealRequest#outerValues() replacement values} for — those values at the place of the first such
     * field (later ones of the same name are left out, their values are part of the replacement).
     */
    static void writeShownFields(HeaderBlock original, SealRequest request, OutputStream out) throws IOException {
        for (String trace : request.outerValues().getOrDefault(TRACE, java.util.List.of())) {
            writeFolded("Received", trace, out);
        }
        java.util.Set<String> replaced = new java.util.HashSet<>();
        for (HeaderField field : original.fields()) {
            String name = field.lowerCaseName();
            if (AutoReplyFields.NAMES.containsKey(name) && request.mayShow(name)) {
                // the first of each, as its keywords only (see AutoReplyFields)
                java.util.Optional<String> shown = AutoReplyFields.shown(name, field.value());
                if (shown.isPresent() && replaced.add(name)) {
                    ascii(out, AutoReplyFields.NAMES.get(name) + ": " + shown.get() + "\r\n");
                }
                continue;
            }
            if (!COPIED.contains(name) || !request.mayShow(name)) {
                continue;
            }
            java.util.List<String> values = request.outerValues().get(name);
            if (values == null) {
                writeRaw(field, out);
            } else if (replaced.add(name)) {
                for (String value : values) {
                    writeFolded(field.name(), value, out);
                }
            }
        }
    }

    static void writeFolded(String name, String value, OutputStream out) throws IOException {
        out.write(HeaderField.folded(name, value));
    }

    /** The field's own lines, with line ends made CRLF and a final CRLF even if the original ended without one. */
    private static void writeRaw(HeaderField field, OutputStream out) throws IOException {
        byte[] raw = withoutSpaceBeforeColon(field);
        CrlfOutputStream canonical = new CrlfOutputStream(out, false, raw.length + raw.length / 8 + 2);
        canonical.write(raw);
        canonical.finish();
        byte last = raw[raw.length - 1];
        if (last != '\n' && last != '\r') {
            out.write(CRLF);
        }
    }

    /**
     * The field's bytes, with white space between its name and colon ({@code From : …}, RFC 5322 4.5's obsolete
     * syntax, which must not be generated) taken out: a black-box probe's outer header began {@code From : …}, and
     * Python's mail parser then saw no header at all and missed the encryption wrapper.
     */
    private static byte[] withoutSpaceBeforeColon(HeaderField field) {
        byte[] raw = field.raw();
        int colon = 0;
        while (colon < raw.length && raw[colon] != ':') {
            colon++;
        }
        if (colon == 0 || colon >= raw.length || (raw[colon - 1] != ' ' && raw[colon - 1] != '\t')) {
            return raw;
        }
        int nameEnd = colon;
        while (nameEnd > 0 && (raw[nameEnd - 1] == ' ' || raw[nameEnd - 1] == '\t')) {
            nameEnd--;
        }
        byte[] fixed = new byte[raw.length - (colon - nameEnd)];
        System.arraycopy(raw, 0, fixed, 0, nameEnd);
        System.arraycopy(raw, colon, fixed, nameEnd, raw.length - colon);
        return fixed;
    }

    /**
     * The placeholder as a header value: control characters (CR, LF above all) become spaces so the
     * policy text cannot inject fields; non-ASCII text becomes RFC 2047 encoded words.
     */
    static String encodeSubject(String subject) {
        String text = subject == null || subject.isBlank() ? DEFAULT_SUBJECT : subject;
        StringBuilder clean = new StringBuilder();
        boolean ascii = true;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < ' ' || c == 0x7f) {
                clean.append(' ');
            } else {
                ascii &= c < 0x80;
                clean.append(c);
            }
        }
        String cleaned = clean.toString().strip();
        if (cleaned.length() > 900) {
            cleaned = cleaned.substring(0, 900);
        }
        return ascii ? cleaned : encodedWords(cleaned);
    }

    private static String encodedWords(String text) {
        StringBuilder words = new StringBuilder();
        int start = 0;
        while (start < text.length()) {
            int end = start;
            int bytes = 0;
            while (end < text.length()) {
                int codePoint = text.codePointAt(end);
                int size = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8).length;
                if (bytes + size > ENCODED_WORD_BYTES) {
                    break;
                }
                bytes += size;
                end += Character.charCount(codePoint);
            }
            if (words.length() > 0) {
                words.append("\r\n ");
            }
            words.append("=?UTF-8?B?")
                    .append(Base64.getEncoder().encodeToString(text.substring(start, end).getBytes(StandardCharsets.UTF_8)))
                    .append("?=");
            start = end;
        }
        return words.toString();
    }

    private static void ascii(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
    }
}
