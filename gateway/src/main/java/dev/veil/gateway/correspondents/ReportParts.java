package dev.veil.gateway.correspondents;

import dev.veil.crypto.HeaderBlock;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.ParseException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The machine-readable parts of a report (RFC 6522 {@code multipart/report}) that a user or Exchange sends out: a read
 * receipt's {@code message/disposition-notification} (RFC 8098), a bounce's {@code message/delivery-status} (RFC 3464)
 * and the original's {@code text/rfc822-headers}. They name the original message as Exchange knew it — aliases and
 * Message-ID tokens — so a correspondent's mail program could not match the receipt to its message, and read its own
 * alias (a black-box probe). Each such part's fields (each group of them, for delivery-status) are restored as a
 * header is, under the same rules ({@link CorrespondentRestorer#restoreReportFields}); anything else stays byte for
 * byte.
 */
public final class ReportParts {
    /** The part types whose content is header fields. */
    static final Set<String> FIELD_PARTS = Set.of("message/disposition-notification", "message/delivery-status",
            "text/rfc822-headers");

    /** Restores one group of fields; the same bytes when nothing changed. */
    public interface FieldRestorer {
        byte[] restore(HeaderBlock fields) throws RestorationException;
    }

    private ReportParts() {
    }

    /** The boundary of a {@code multipart/report} Content-Type value; empty for any other type. */
    public static Optional<String> reportBoundary(String contentType) {
        return boundary(contentType, "multipart/report");
    }

    /** Nested multiparts are followed this deep; deeper ones stay as they are. */
    static final int MAX_DEPTH = 8;

    /**
     * {@code body} (of a multipart/report with {@code boundary}) with its field parts restored, or itself. A last part
     * without the close delimiter is a part all the same, as lenient readers show it, and multiparts inside are
     * followed (a black-box probe's report without its close delimiter, and one nested in another, went out with
     * some parts restored and others not).
     */
    public static byte[] restore(byte[] body, String boundary, FieldRestorer restorer) throws RestorationException {
        return restore(body, boundary, restorer, 0);
    }

    private static byte[] restore(byte[] body, String boundary, FieldRestorer restorer, int depth)
            throws RestorationException {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        java.util.List<int[]> parts = new java.util.ArrayList<>();
        int partStart = -1; // where the current part's bytes begin (after its delimiter line)
        boolean closed = false;
        for (int at = delimiterAt(body, delimiter, 0); at >= 0; at = delimiterAt(body, delimiter, at + 1)) {
            if (partStart >= 0) {
                int end = at > 0 && body[at - 1] == '\n' ? (at > 1 && body[at - 2] == '\r' ? at - 2 : at - 1) : at;
                if (end > partStart) {
                    parts.add(new int[] {partStart, end});
                }
            }
            if (at + delimiter.length + 1 < body.length && body[at + delimiter.length] == '-'
                    && body[at + delimiter.length + 1] == '-') {
                closed = true;
                break;
            }
            int lineEnd = indexOf(body, (byte) '\n', at);
            if (lineEnd < 0) {
                partStart = -1;
                break;
            }
            partStart = lineEnd + 1;
        }
        if (!closed && partStart >= 0 && partStart < body.length) {
            parts.add(new int[] {partStart, body.length});
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 256);
        boolean changed = false;
        int position = 0;
        for (int[] range : parts) {
            byte[] part = Arrays.copyOfRange(body, range[0], range[1]);
            byte[] again = part(part, restorer, depth);
            if (again != part) {
                out.write(body, position, range[0] - position);
                out.writeBytes(again);
                position = range[1];
                changed = true;
            }
        }
        if (!changed) {
            return body;
        }
        out.write(body, position, body.length - position);
        return out.toByteArray();
    }

    /** One body part: restored when it is a field part in 7bit or 8bit, or a multipart holding one; else itself. */
    private static byte[] part(byte[] part, FieldRestorer restorer, int depth) throws RestorationException {
        HeaderBlock headers = HeaderBlock.parse(part);
        String contentType = headers.first("Content-Type").map(f -> f.value()).orElse("text/plain");
        String type = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        String encoding = headers.first("Content-Transfer-Encoding").map(f -> f.value().strip().toLowerCase(Locale.ROOT))
                .orElse("7bit");
        if (!(encoding.equals("7bit") || encoding.equals("8bit") || encoding.equals("binary"))) {
            return part;
        }
        int offset = headers.bodyOffset();
        byte[] content = Arrays.copyOfRange(part, offset, part.length);
        byte[] restored;
        if (type.startsWith("multipart/")) {
            Optional<String> inner = boundary(contentType, null);
            if (inner.isEmpty() || depth + 1 >= MAX_DEPTH) {
                return part;
            }
            restored = restore(content, inner.get(), restorer, depth + 1);
        } else if (FIELD_PARTS.contains(type)) {
            restored = groups(content, restorer);
        } else {
            return part;
        }
        if (restored == content) {
            return part;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(part.length + 256);
        out.write(part, 0, offset);
        out.writeBytes(restored);
        return out.toByteArray();
    }

    /** The boundary parameter of {@code contentType}, if it is of {@code type} (null: any type). */
    private static Optional<String> boundary(String contentType, String type) {
        try {
            ContentType parsed = new ContentType(contentType);
            if (type != null && !parsed.match(type)) {
                return Optional.empty();
            }
            String boundary = parsed.getParameter("boundary");
            return boundary == null || boundary.isEmpty() ? Optional.empty() : Optional.of(boundary);
        } catch (ParseException e) {
            return Optional.empty();
        }
    }


    /** Every group of fields in {@code content} (separated by empty lines) restored; the same array if none changed. */
    private static byte[] groups(byte[] content, FieldRestorer restorer) throws RestorationException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 256);
        boolean changed = false;
        int start = 0;
        // a delivery-status has a group per message and one per recipient; 100 groups is more than any report holds
        for (int group = 0; group < 100 && start < content.length; group++) {
            byte[] rest = Arrays.copyOfRange(content, start, content.length);
            HeaderBlock fields = HeaderBlock.parse(rest);
            if (fields.fields().isEmpty()) {
                break;
            }
            byte[] consumed = fields.consumed();
            byte[] again = restorer.restore(fields);
            if (again != consumed && !Arrays.equals(again, consumed)) {
                changed = true;
            }
            // the restored group, up to where the next one starts (its offset in the restored bytes)
            int next = HeaderBlock.parse(again).bodyOffset();
            out.write(again, 0, Math.min(next, again.length));
            start += fields.bodyOffset();
            if (fields.bodyOffset() == 0) {
                break;
            }
        }
        if (!changed) {
            return content;
        }
        out.write(content, start, content.length - start);
        return out.toByteArray();
    }

    /** The next delimiter line at or after {@code from}: {@code --boundary} at the start of a line. */
    private static int delimiterAt(byte[] body, byte[] delimiter, int from) {
        for (int i = from; i <= body.length - delimiter.length; i++) {
            if ((i == 0 || body[i - 1] == '\n') && startsWith(body, i, delimiter)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean startsWith(byte[] body, int at, byte[] prefix) {
        for (int j = 0; j < prefix.length; j++) {
            if (body[at + j] != prefix[j]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] body, byte b, int from) {
        for (int i = from; i < body.length; i++) {
            if (body[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
