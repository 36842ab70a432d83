package dev.veil.tests.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Received field Veil puts on top of every message it takes in (RFC 5321 4.4), as tests find it. */
public final class VeilReceived {
    /** {@code Received: from … by HOST (Veil) with ESMTP id QUEUEID [for <…>]; DATE}, folded as Veil folds it. */
    public static final Pattern FIELD = Pattern.compile("Received: from [^\r\n]+\r\n\tby [^\r\n ]+ \\(Veil\\) with "
            + "(?:E?SMTPS?A?) id [0-9A-Z]{20}(?:\r\n\tfor <[^\r\n>]+>)?; \\w{3}, \\d{1,2} \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d "
            + "[+-]\\d{4}\r\n");

    private VeilReceived() {
    }

    /** The message after Veil's Received field, which must be its first field. */
    public static byte[] stripped(byte[] message) {
        Matcher m = FIELD.matcher(new String(message, StandardCharsets.ISO_8859_1));
        assertThat(m.lookingAt()).as("Veil's Received field on top of%n%s", head(message)).isTrue();
        return Arrays.copyOfRange(message, m.end(), message.length);
    }

    /** As {@link #stripped(byte[])}, or null when the message does not start with it. */
    public static byte[] strippedOrNull(byte[] message) {
        Matcher m = FIELD.matcher(new String(message, StandardCharsets.ISO_8859_1));
        return m.lookingAt() ? Arrays.copyOfRange(message, m.end(), message.length) : null;
    }

    private static String head(byte[] message) {
        return new String(message, 0, Math.min(message.length, 600), StandardCharsets.ISO_8859_1);
    }
}
