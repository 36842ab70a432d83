package dev.veil.config;

import java.time.LocalDate;
import java.time.Period;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Key lifetimes: a whole number and a unit — {@code 90d}, {@code 12w}, {@code 6mo}, {@code 2y}. Calendar units (a
 * {@link Period}) because certificates expire on dates, not after a count of seconds. No minutes or hours: nothing in
 * the policy is that short, and {@code m} would be ambiguous.
 */
final class Durations {
    private static final Pattern FORM = Pattern.compile("(\\d{1,4})(d|w|mo|y)");

    private Durations() {
    }

    static final String HELP = "write a whole number and a unit: 90d, 12w, 6mo or 2y";

    /** Null when the text is not a duration; the caller reports it. */
    static Period parse(String text) {
        Matcher m = FORM.matcher(text.strip());
        if (!m.matches()) {
            return null;
        }
        int n = Integer.parseInt(m.group(1));
        return switch (m.group(2)) {
            case "d" -> Period.ofDays(n);
            case "w" -> Period.ofWeeks(n);
            case "mo" -> Period.ofMonths(n);
            default -> Period.ofYears(n);
        };
    }

    static boolean longerThan(Period a, Period b) {
        return LocalDate.EPOCH.plus(a).isAfter(LocalDate.EPOCH.plus(b));
    }
}
