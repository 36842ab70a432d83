package dev.veil.gateway.correspondents;

import dev.veil.crypto.HeaderField;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
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
            "(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ?, ?)?"
                    + "((\\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\\d{2,4}) "
                    + "(\\d{1,2}) ?: ?(\\d{2})(?: ?: ?(\\d{2}))?)"
                    + "(?: ([+-]\\d{4})(?: [A-Z]{1,5})?| (UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z])"
                    + "| ([+-])(\\d{2}):(\\d{2})| ([A-Z]{2,5}))?",
            Pattern.CASE_INSENSITIVE);
    private static final List<String> MONTHS = List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
            "oct", "nov", "dec");

    private ShownDate() {
    }

    /**
     * The date without comments and with single spaces, or empty when what is left is not a date-time. A zone of
     * letters RFC 5322 does not define ({@code CET}, {@code BST}) or no zone at all is shown as {@code -0000}, which
     * RFC 5322 4.3 says such a zone means; {@code +01:00} as {@code +0100}. (A probe's {@code CET} dates were left out,
     * so Exchange showed the arrival time.) A date-time that names no real moment ({@code 31 Feb}, {@code 25:00}, an
     * offset of {@code +0075}) is not shown either, as RFC 5322 3.3 asks of a date; a day of the week that is not the
     * date's is left out, and the date shown without it (a probe saw both go into Exchange as sent).
     */
    static Optional<String> of(String value) {
        String date = HeaderField.withoutComments(value);
        Matcher m = DATE_TIME.matcher(date);
        if (!m.matches()) {
            return Optional.empty();
        }
        Optional<LocalDate> day = realDay(m);
        if (day.isEmpty() || !realTime(m)) {
            return Optional.empty();
        }
        String weekday = m.group(1);
        String dateTime = (weekday != null && sameDay(weekday, day.get().getDayOfWeek()) ? weekday + ", " : "")
                + m.group(2);
        if (m.group(9) != null) {
            if (Integer.parseInt(m.group(9).substring(3)) > 59) {
                return Optional.empty();
            }
            return Optional.of(dateTime + " " + m.group(9)); // "+0100 CET": the offset says it all
        }
        if (m.group(10) != null) {
            return Optional.of(dateTime + " " + m.group(10));
        }
        if (m.group(11) != null) {
            if (Integer.parseInt(m.group(13)) > 59) {
                return Optional.empty();
            }
            return Optional.of(dateTime + " " + m.group(11) + m.group(12) + m.group(13));
        }
        return Optional.of(dateTime + " -0000");
    }

    /** The date, if the calendar has it; a two- or three-digit year as RFC 5322 4.3 reads it. */
    private static Optional<LocalDate> realDay(Matcher m) {
        int year = Integer.parseInt(m.group(5));
        if (m.group(5).length() == 2) {
            year += year < 50 ? 2000 : 1900;
        } else if (m.group(5).length() == 3) {
            year += 1900;
        }
        int month = MONTHS.indexOf(m.group(4).toLowerCase(Locale.ROOT)) + 1;
        try {
            return Optional.of(LocalDate.of(year, month, Integer.parseInt(m.group(3))));
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    /** Hours to 23, minutes to 59, seconds to 60 (a leap second). */
    private static boolean realTime(Matcher m) {
        return Integer.parseInt(m.group(6)) <= 23 && Integer.parseInt(m.group(7)) <= 59
                && (m.group(8) == null || Integer.parseInt(m.group(8)) <= 60);
    }

    private static boolean sameDay(String weekday, DayOfWeek day) {
        return day.name().regionMatches(true, 0, weekday, 0, 3);
    }
}
