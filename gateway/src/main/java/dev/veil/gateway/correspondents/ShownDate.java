package dev.veil.gateway.correspondents;

import dev.veil.crypto.HeaderField;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Date field as it may be shown outside the encryption (or in a rewritten header): an RFC 5322 date-time
 * (section 3.3, with the obsolete forms of 4.3: two-digit years, alphabetic zones, no seconds) and nothing else.
 * Comments go; a value that is not such a date is not shown at all. Free text in a Date field — a mailer's
 * "Mon, 1 Jan 2024 10:00:00 +0000 bob@ext.example via mx.ext.example", or no date at all — is outside any
 * comment, so taking out comments alone would show it to Exchange next to the aliases.
 */
final class ShownDate {
    private static final Pattern DATE_TIME = Pattern.compile(
            "((?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ?, ?)?"
                    + "\\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{2,4} "
                    + "\\d{1,2} ?: ?\\d{2}(?: ?: ?\\d{2})?)"
                    + "(?: ([+-]\\d{4})(?: [A-Z]{1,5})?| (UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z])"
                    + "| ([+-])(\\d{2}):(\\d{2})| ([A-Z]{2,5}))?",
            Pattern.CASE_INSENSITIVE);

    private ShownDate() {
    }

    /**
     * The date without comments and with single spaces, or empty when what is left is not a date-time. A zone of
     * letters RFC 5322 does not define ({@code CET}, {@code BST}) or no zone at all is shown as {@code -0000}, which
     * RFC 5322 4.3 says such a zone means; {@code +01:00} as {@code +0100}. (A probe's {@code CET} dates were left out,
     * so Exchange showed the arrival time.)
     */
    static Optional<String> of(String value) {
        String date = HeaderField.withoutComments(value);
        Matcher m = DATE_TIME.matcher(date);
        if (!m.matches()) {
            return Optional.empty();
        }
        if (m.group(2) != null) {
            return Optional.of(m.group(1) + " " + m.group(2)); // "+0100 CET": the offset says it all
        }
        if (m.group(3) != null) {
            return Optional.of(m.group(1) + " " + m.group(3));
        }
        if (m.group(4) != null) {
            return Optional.of(m.group(1) + " " + m.group(4) + m.group(5) + m.group(6));
        }
        return Optional.of(m.group(1) + " -0000");
    }
}
