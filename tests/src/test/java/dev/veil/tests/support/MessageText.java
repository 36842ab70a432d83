package dev.veil.tests.support;

import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * Reads messages with Jakarta Mail — independent of Veil's own parsing — to find what must not leak (subject,
 * text, attachment bytes) and to decode everything an upstream received.
 */
public final class MessageText {
    private static final Session SESSION = Session.getInstance(new Properties());

    private MessageText() {
    }

    /** A received message's bytes as the upstream stored them. */
    public static byte[] bytes(MimeMessage received) throws Exception {
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        received.writeTo(raw);
        return raw.toByteArray();
    }

    public static MimeMessage parse(byte[] bytes) throws Exception {
        return new MimeMessage(SESSION, new ByteArrayInputStream(bytes));
    }

    /** The decoded Subject, or null. */
    public static String subject(byte[] message) {
        try {
            return parse(message).getSubject();
        } catch (Exception e) {
            return null;
        }
    }

    /** True when the top level is S/MIME enveloped data or PGP/MIME encrypted (by Jakarta Mail's reading). */
    public static boolean isEncrypted(byte[] message) {
        try {
            String[] types = parse(message).getHeader("Content-Type");
            if (types == null) {
                return false;
            }
            ContentType type = new ContentType(types[0]);
            String smimeType = type.getParameter("smime-type");
            if (type.match("application/pkcs7-mime") || type.match("application/x-pkcs7-mime")) {
                return smimeType == null || smimeType.toLowerCase().contains("enveloped");
            }
            return type.match("multipart/encrypted");
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Distinctive pieces of the message's content: 24-character windows of every decoded text line of 24 or more
     * characters, and 48-byte windows of every decoded attachment, as ISO-8859-1 strings.
     */
    public static Set<String> secrets(byte[] message) {
        Set<String> out = new LinkedHashSet<>();
        try {
            collect(parse(message), out, 0);
        } catch (Exception e) {
            // unparseable: fall back to the raw body lines below
        }
        String raw = new String(message, StandardCharsets.ISO_8859_1);
        int body = raw.indexOf("\r\n\r\n");
        if (body >= 0) {
            addText(raw.substring(body + 4), out);
        }
        return out;
    }

    private static void collect(Part part, Set<String> out, int depth) throws Exception {
        if (depth > 20) {
            return;
        }
        Object content;
        try {
            content = part.getContent();
        } catch (Exception e) {
            return;
        }
        if (content instanceof Multipart multipart) {
            for (int i = 0; i < multipart.getCount(); i++) {
                BodyPart child = multipart.getBodyPart(i);
                collect(child, out, depth + 1);
            }
        } else if (content instanceof MimeMessage nested) {
            collect(nested, out, depth + 1);
        } else if (content instanceof String text) {
            addText(text, out);
        } else if (content instanceof InputStream in) {
            byte[] bytes = in.readAllBytes();
            for (int i = 0; i + 48 <= bytes.length && i < 48 * 64; i += 48 * 8) {
                out.add(new String(bytes, i, 48, StandardCharsets.ISO_8859_1));
            }
        }
    }

    private static void addText(String text, Set<String> out) {
        for (String line : text.split("\r\n|\n|\r")) {
            String t = line.strip();
            if (t.length() >= 24 && t.chars().filter(Character::isLetter).count() >= 12) {
                out.add(t.substring(0, 24));
            }
        }
    }

    /** Everything an observer of the message can read: its raw bytes and every decoded leaf part. */
    public static List<String> observable(byte[] message) {
        List<String> views = new ArrayList<>();
        views.add(new String(message, StandardCharsets.ISO_8859_1));
        try {
            decodeLeaves(parse(message), views, 0);
        } catch (Exception e) {
            // raw bytes are still checked
        }
        return views;
    }

    private static void decodeLeaves(Part part, List<String> views, int depth) throws Exception {
        if (depth > 20) {
            return;
        }
        Object content = part.getContent();
        if (content instanceof Multipart multipart) {
            for (int i = 0; i < multipart.getCount(); i++) {
                decodeLeaves(multipart.getBodyPart(i), views, depth + 1);
            }
        } else {
            try (InputStream in = part.getInputStream()) {
                views.add(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
            }
        }
    }
}
