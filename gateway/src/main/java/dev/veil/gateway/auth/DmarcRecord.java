package dev.veil.gateway.auth;

import java.util.Locale;
import java.util.Optional;

/**
 * A DMARC policy record (RFC 7489 section 6.3), the tags that decide a verdict: p, sp, adkim, aspf, pct. Report
 * addresses (rua, ruf) are not read: Veil sends no reports.
 */
public record DmarcRecord(Disposition policy, Disposition subdomainPolicy, boolean strictDkim, boolean strictSpf,
                          int percent) {

    /** What the domain asks receivers to do with failing mail. */
    public enum Disposition {
        NONE, QUARANTINE, REJECT;

        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Parses a TXT record; empty when it is not a DMARC record at all or is unusable (section 6.6.3: a record
     * without a valid p= is ignored, unless it has rua=, in which case p=none applies).
     */
    public static Optional<DmarcRecord> parse(String txt) {
        if (!isDmarc(txt)) {
            return Optional.empty();
        }
        String[] parts = txt.split(";");
        Disposition p = null;
        Disposition sp = null;
        boolean rua = false;
        boolean adkim = false;
        boolean aspf = false;
        int pct = 100;
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i].strip();
            int eq = part.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String name = part.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = part.substring(eq + 1).strip().toLowerCase(Locale.ROOT);
            switch (name) {
                case "p" -> p = disposition(value);
                case "sp" -> sp = disposition(value);
                case "adkim" -> adkim = value.equals("s");
                case "aspf" -> aspf = value.equals("s");
                case "pct" -> {
                    try {
                        pct = Math.max(0, Math.min(100, Integer.parseInt(value)));
                    } catch (NumberFormatException e) {
                        pct = 100;
                    }
                }
                case "rua" -> rua = !value.isEmpty();
                default -> {
                    // ruf, fo, rf, ri and unknown tags do not change the verdict
                }
            }
        }
        if (p == null) {
            if (!rua) {
                return Optional.empty();
            }
            p = Disposition.NONE;
        }
        return Optional.of(new DmarcRecord(p, sp == null ? p : sp, adkim, aspf, pct));
    }

    /** Whether a TXT record is a DMARC record at all: it starts with the tag v=DMARC1 (section 6.6.3 step 2). */
    public static boolean isDmarc(String txt) {
        String[] parts = txt.split(";");
        return parts.length > 0 && parts[0].strip().replace(" ", "").equalsIgnoreCase("v=DMARC1");
    }

    private static Disposition disposition(String value) {
        return switch (value) {
            case "none" -> Disposition.NONE;
            case "quarantine" -> Disposition.QUARANTINE;
            case "reject" -> Disposition.REJECT;
            default -> null;
        };
    }
}
