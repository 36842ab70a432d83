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
     * so Exchange showed the arrival time.) A date-time that names no real moment ({@code 31 Feb}, {@code 25:00}, a
     * leap second other than 23:59:60 UTC, an offset of {@code +0075} or past 14 hours, a year before 1900) is not
     * shown either, as RFC 5322 3.3 asks of a date; a day of the week that is not the date's is left out, and the
     * date shown without it (probes saw all of these go into Exchange as sent).
     */
    static Optional<String> of(String value) {
        String date = HeaderField.withoutComments(value);
        Matcher m = DATE_TIME.matcher(date);
        if (!m.matches()) {
            return Optional.empty();
        }
        Optional<LocalDate> day = realDay(m);
        int offsetMinutes = offsetMinutes(m);
        if (day.isEmpty() || offsetMinutes == INVALID || !realTime(m, offsetMinutes)) {
            return Optional.empty();
        }
        String weekday = m.group(1);
        String dateTime = (weekday != null && sameDay(weekday, day.get().getDayOfWeek()) ? weekday + ", " : "")
                + m.group(2);
        if (m.group(9) != null) {
            return Optional.of(dateTime + " " + m.group(9)); // "+0100 CET": the offset says it all
        }
        if (m.group(10) != null) {
            return Optional.of(dateTime + " " + m.group(10));
        }
        if (m.group(11) != null) {
            return Optional.of(dateTime + " " + m.group(11) + m.group(12) + m.group(13));
        }
        return Optional.of(dateTime + " -0000");
    }

    private static final int INVALID = Integer.MIN_VALUE;
    /** No place on earth is further from UTC than 14 hours (Kiribati, +1400). */
    private static final int MAX_OFFSET_MINUTES = 14 * 60;

    /** The numeric offset in minutes east of UTC (0 for a zone of letters or none); {@link #INVALID} past ±14:00. */
    private static int offsetMinutes(Matcher m) {
        String sign;
        int hours;
        int minutes;
        if (m.group(9) != null) {
            sign = m.group(9).substring(0, 1);
            hours = Integer.parseInt(m.group(9).substring(1, 3));
            minutes = Integer.parseInt(m.group(9).substring(3));
        } else if (m.group(11) != null) {
            sign = m.group(11);
            hours = Integer.parseInt(m.group(12));
            minutes = Integer.parseInt(m.group(13));
        } else {
            return 0;
        }
        int total = hours * 60 + minutes;
        if (minutes > 59 || total > MAX_OFFSET_MINUTES) {
            return INVALID;
        }
        return sign.equals("-") ? -total : total;
    }

    /**
     * The date, if the calendar has it and it is 1900 or later (RFC 5322 3.3); a two- or three-digit year as RFC 5322
     * 4.3 reads it.
     */
    private static Optional<LocalDate> realDay(Matcher m) {
        int year = Integer.parseInt(m.group(5));
        if (m.group(5).length() == 2) {
            year += year < 50 ? 2000 : 1900;
        } else if (m.group(5).length() == 3) {
            year += 1900;
        }
        if (year < 1900) {
            return Optional.empty();
        }
        int month = MONTHS.indexOf(m.group(4).toLowerCase(Locale.ROOT)) + 1;
        try {
            return Optional.of(LocalDate.of(year, month, Integer.parseInt(m.group(3))));
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Hours to 23, minutes to 59, seconds to 59 — or 60, a leap second, which comes only at 23:59 UTC (RFC 5322
     * 3.3 allows the 60 for it).
     */
    private static boolean realTime(Matcher m, int offsetMinutes) {
        int hour = Integer.parseInt(m.group(6));
        int minute = Integer.parseInt(m.group(7));
        int second = m.group(8) == null ? 0 : Integer.parseInt(m.group(8));
        if (hour > 23 || minute > 59 || second > 60) {
            return false;
        }
        int utcMinute = Math.floorMod(hour * 60 + minute - offsetMinutes, 24 * 60);
        return second < 60 || utcMinute == 23 * 60 + 59;
    }

    private static boolean sameDay(String weekday, DayOfWeek day) {
        return day.name().regionMatches(true, 0, weekday, 0, 3);
    }
}
