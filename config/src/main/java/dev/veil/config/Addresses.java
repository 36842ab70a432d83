package dev.veil.config;

import java.net.IDN;
import java.util.Locale;

/**
 * Normalises addresses and domains the way every comparison in the policy expects them: lower case, no trailing dot,
 * internationalised domains as A-labels ({@code xn--…}) via {@link IDN}, so {@code bücher.example} and
 * {@code xn--bcher-kva.example} are the same domain. Local parts are compared case-insensitively too, as Exchange does.
 */
final class Addresses {
    private Addresses() {
    }

    /** A domain as it arrives in SMTP; never throws — a domain IDN cannot convert is only lower-cased (and then matches nothing IDN-shaped). */
    static String domain(String raw) {
        String d = raw.strip();
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (isAscii(d)) {
            return d.toLowerCase(Locale.ROOT);
        }
        try {
            return IDN.toASCII(d, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return d.toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Splits an envelope address into normalised local part and domain. Returns null for the null sender ({@code <>},
     * empty or null). An address without '@' has an empty domain.
     */
    static String[] split(String raw) {
        if (raw == null) {
            return null;
        }
        String a = raw.strip();
        if (a.startsWith("<") && a.endsWith(">")) {
            a = a.substring(1, a.length() - 1).strip();
        }
        if (a.isEmpty()) {
            return null;
        }
        int at = a.lastIndexOf('@');
        if (at < 0) {
            return new String[] {a.toLowerCase(Locale.ROOT), ""};
        }
        return new String[] {a.substring(0, at).toLowerCase(Locale.ROOT), domain(a.substring(at + 1))};
    }

    /** For messages: the normalised address, or {@code <>} for the null sender. */
    static String display(String[] parts) {
        return parts == null ? "<>" : parts[1].isEmpty() ? parts[0] : parts[0] + "@" + parts[1];
    }

    static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }
}
