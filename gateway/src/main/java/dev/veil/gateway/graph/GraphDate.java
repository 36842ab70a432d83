package dev.veil.gateway.graph;

import dev.veil.gateway.graph.ContactMapping.Dialect;
import ezvcard.property.DateOrTimeProperty;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.Temporal;
import java.util.function.Function;

/**
 * Graph's {@code birthday} / {@code weddingAnniversary} and a vCard {@code BDAY} / {@code ANNIVERSARY}, both ways.
 *
 * <p>Graph v1.0 types both as {@code Edm.DateTimeOffset} and refuses anything else with 400, so a value that is not a
 * date (a sealed token, a date without a year) is not sent at all: it stays in the vault only. From Graph, a value
 * becomes the vCard form that ez-vcard writes back identically, so the vault's lossless form can hold it.
 */
final class GraphDate {
    private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssXXX");

    private GraphDate() {
    }

    /**
     * A Graph date as a vCard property. A plain date stays a date. A UTC date-time at midnight from v1.0 is a date
     * (Outlook's birthday is a day; v1.0 writes it as midnight UTC, which is what a date maps back to). Any other UTC
     * date-time is an {@link Instant}, the type ez-vcard reads a UTC date-time back as (an {@link OffsetDateTime} would
     * not read back equal and the vault would refuse the card). Anything else is text, so it comes back unchanged.
     */
    static <T extends DateOrTimeProperty> T toVCard(String value, Dialect dialect, Function<Temporal, T> ofDate,
                                                    Function<String, T> ofText) {
        try {
            LocalDate d = LocalDate.parse(value);
            if (d.toString().equals(value)) {
                return ofDate.apply(d);
            }
        } catch (RuntimeException notDate) {
            // try date-time
        }
        try {
            OffsetDateTime t = OffsetDateTime.parse(value);
            if (DATE_TIME.format(t).equals(value) && t.getOffset().equals(ZoneOffset.UTC)) {
                if (dialect == Dialect.V1 && t.toLocalTime().equals(LocalTime.MIDNIGHT)) {
                    return ofDate.apply(t.toLocalDate());
                }
                return ofDate.apply(t.toInstant());
            }
        } catch (RuntimeException notDateTime) {
            // text
        }
        return ofText.apply(value);
    }

    /** The Graph value of a vCard date, or null when Graph cannot take it (the vault keeps it). */
    static String toGraph(DateOrTimeProperty p, Dialect dialect) {
        if (p.getText() != null) {
            return accepted(p.getText(), dialect) ? p.getText() : null;
        }
        Temporal t = p.getDate();
        if (t instanceof LocalDate d) {
            // Graph v1.0 takes a DateTimeOffset (midnight UTC); beta takes a date
            return dialect == Dialect.BETA ? d.toString() : d + "T00:00:00Z";
        }
        if (t instanceof OffsetDateTime o) {
            return DATE_TIME.format(o);
        }
        if (t instanceof Instant i) {
            return DATE_TIME.format(i.atOffset(ZoneOffset.UTC));
        }
        if (t instanceof LocalDateTime l) {
            return DATE_TIME.format(l.atOffset(ZoneOffset.UTC));
        }
        return null; // a partial date (no year): Graph has no way to say it
    }

    /** Whether Graph takes this text as a date: v1.0 only a DateTimeOffset, beta also a plain date. */
    private static boolean accepted(String text, Dialect dialect) {
        try {
            OffsetDateTime.parse(text);
            return true;
        } catch (RuntimeException notDateTime) {
            // maybe a date
        }
        if (dialect == Dialect.BETA) {
            try {
                LocalDate.parse(text);
                return true;
            } catch (RuntimeException notDate) {
                // neither
            }
        }
        return false;
    }
}
