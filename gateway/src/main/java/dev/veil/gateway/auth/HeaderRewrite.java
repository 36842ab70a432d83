package dev.veil.gateway.auth;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * Writes a copy of a message with fields added at the top of its header and some fields replaced or dropped; every
 * other byte (the other fields, the blank line, the body) is copied exactly, streaming, so large messages never sit
 * in memory.
 */
public final class HeaderRewrite {
    private HeaderRewrite() {
    }

    /**
     * @param prepend   complete fields, each ending in CRLF, written first in this order
     * @param transform for each existing field: the bytes to write instead (null drops the field)
     */
    public static void write(Path from, Path to, List<String> prepend, Function<HeaderField, byte[]> transform)
            throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(from), 64 * 1024);
             OutputStream out = new BufferedOutputStream(Files.newOutputStream(to), 64 * 1024)) {
            HeaderBlock header = HeaderBlock.read(in);
            writeHeader(header, out, prepend, transform);
            byte[] consumed = header.consumed();
            out.write(consumed, header.bodyOffset(), consumed.length - header.bodyOffset());
            in.transferTo(out);
        }
    }

    /**
     * The same for a message held in memory, {@code header} parsed from it ({@link HeaderBlock#parse}): one file
     * written in two writes, the new header and the body as it is in {@code message}.
     */
    public static void write(byte[] message, HeaderBlock header, Path to, List<String> prepend,
                             Function<HeaderField, byte[]> transform) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(header.bodyOffset() + 2048);
        writeHeader(header, head, prepend, transform);
        try (OutputStream out = Files.newOutputStream(to)) {
            head.writeTo(out);
            out.write(message, header.bodyOffset(), message.length - header.bodyOffset());
        }
    }

    /** The prepended fields, the (transformed) fields and the blank line that ends the header. */
    private static void writeHeader(HeaderBlock header, OutputStream out, List<String> prepend,
                                    Function<HeaderField, byte[]> transform) throws IOException {
        for (String field : prepend) {
            out.write(field.getBytes(StandardCharsets.UTF_8));
        }
        int headerBytes = 0;
        for (HeaderField field : header.fields()) {
            headerBytes += field.raw().length;
            byte[] replacement = transform.apply(field);
            if (replacement != null) {
                out.write(replacement);
            }
        }
        int bodyOffset = header.bodyOffset();
        // the blank line between header and body, as it was (the spool holds CRLF only)
        int separatorStart = Math.max(headerBytes, bodyOffset - 2);
        if (bodyOffset > headerBytes) {
            out.write(header.consumed(), separatorStart, bodyOffset - separatorStart);
        }
    }

    /** The field with {@code tag} inserted at the start of its value ({@code Subject: [TAG] old subject}). */
    public static byte[] prefixValue(HeaderField field, String tag) {
        byte[] raw = field.raw();
        int colon = 0;
        while (colon < raw.length && raw[colon] != ':') {
            colon++;
        }
        byte[] insert = (" " + tag).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[raw.length + insert.length];
        System.arraycopy(raw, 0, out, 0, colon + 1);
        System.arraycopy(insert, 0, out, colon + 1, insert.length);
        System.arraycopy(raw, colon + 1, out, colon + 1 + insert.length, raw.length - colon - 1);
        return out;
    }
}
