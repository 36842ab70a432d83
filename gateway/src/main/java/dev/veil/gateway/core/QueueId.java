package dev.veil.gateway.core;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * A spool entry's name, as in Postfix's long queue ids: time-ordered, unique across restarts and nodes,
 * and safe as a file name.
 */
public record QueueId(String value) {
    private static final Pattern FORM = Pattern.compile("[0-9A-HJKMNP-TV-Z]{10,40}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();

    public QueueId {
        if (value == null || !FORM.matcher(value).matches()) {
            throw new IllegalArgumentException("not a queue id: " + value);
        }
    }

    /** 10 characters of milliseconds, then 10 random ones (50 bits): Crockford base32, sortable by arrival. */
    public static QueueId next() {
        char[] out = new char[20];
        long time = System.currentTimeMillis();
        for (int i = 9; i >= 0; i--) {
            out[i] = DIGITS[(int) (time & 31)];
            time >>>= 5;
        }
        long random = RANDOM.nextLong();
        for (int i = 10; i < 20; i++) {
            out[i] = DIGITS[(int) (random & 31)];
            random >>>= 5;
        }
        return new QueueId(new String(out));
    }

    @Override
    public String toString() {
        return value;
    }
}
