package dev.veil.gateway.core;

import dev.veil.config.Direction;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The envelope of a queued message as a small text file beside it ({@code queue/ID.env}), written and fsync'd
 * before the message is acknowledged. The database row is the index the queue runner works from, but a row is not
 * a promise the database keeps across a kill (H2 may not have written a commit yet when the process dies); the
 * files are. At start, a queue file without a row gets its row back from this file (Postfix's posture: the queue
 * is the source of truth).
 *
 * <p>Format, one field per line, values URL-encoded so that no value can contain a line break:
 * {@code veil-envelope 1}, {@code direction}, {@code received} (epoch ms), {@code size}, {@code client},
 * {@code helo}, {@code sender}, then one {@code rcpt} line per recipient.
 */
record EnvelopeFile(Direction direction, Instant received, long size, Envelope envelope) {
    private static final String MAGIC = "veil-envelope 1";

    byte[] encode() {
        StringBuilder out = new StringBuilder(MAGIC).append('\n');
        line(out, "direction", direction.name());
        line(out, "received", Long.toString(received.toEpochMilli()));
        line(out, "size", Long.toString(size));
        line(out, "client", envelope.clientAddress());
        line(out, "helo", envelope.helo());
        line(out, "sender", envelope.sender());
        for (String recipient : envelope.recipients()) {
            line(out, "rcpt", recipient);
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** @throws IllegalArgumentException if the content is not a whole envelope file */
    static EnvelopeFile decode(byte[] content) {
        String[] lines = new String(content, StandardCharsets.US_ASCII).split("\n");
        if (lines.length < 8 || !MAGIC.equals(lines[0])) {
            throw new IllegalArgumentException("not a complete envelope file");
        }
        Direction direction = Direction.valueOf(value(lines[1], "direction"));
        Instant received = Instant.ofEpochMilli(Long.parseLong(value(lines[2], "received")));
        long size = Long.parseLong(value(lines[3], "size"));
        String client = value(lines[4], "client");
        String helo = value(lines[5], "helo");
        String sender = value(lines[6], "sender");
        List<String> recipients = new ArrayList<>();
        for (int i = 7; i < lines.length; i++) {
            recipients.add(value(lines[i], "rcpt"));
        }
        return new EnvelopeFile(direction, received, size, new Envelope(sender, recipients, client, helo));
    }

    private static void line(StringBuilder out, String name, String value) {
        out.append(name).append(' ').append(URLEncoder.encode(value, StandardCharsets.UTF_8)).append('\n');
    }

    private static String value(String line, String name) {
        if (!line.startsWith(name + " ")) {
            throw new IllegalArgumentException("expected '" + name + "', found '" + line + "'");
        }
        return URLDecoder.decode(line.substring(name.length() + 1), StandardCharsets.UTF_8);
    }
}
