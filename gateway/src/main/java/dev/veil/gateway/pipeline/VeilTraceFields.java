package dev.veil.gateway.pipeline;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import dev.veil.gateway.core.QueueId;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * This Veil's own Received fields, as a header rebuilt for Exchange shows them: {@code by HOST (Veil) with ESMTPS id
 * ID; DATE}, without the {@code from} and {@code for} clauses that name the client and the recipient. Encryption and
 * the pseudonymising rewrite leave every Received field inside or out, so a message looping between Exchange and Veil
 * (or Veil and itself) came back each time with none, and {@code smtp.maxHops} never stopped it (a black-box probe's
 * loop relayed 150 times a second and grew the alias directory without end). With these, every pass through this Veil
 * adds one field that stays outside, and the loop ends at the limit.
 *
 * <p>"This Veil" is the host named in the field written for the message being processed (the one with its queue id):
 * Received fields of another Veil, a correspondent's own, would name the correspondent's host and stay inside.
 */
final class VeilTraceFields {
    /** Veil's field ({@code smtp.ReceivedField}), or what this class made of one on an earlier pass. */
    private static final Pattern VEIL_RECEIVED = Pattern.compile("(?:from\\s+\\S+(?:\\s+\\([^()]*\\))?\\s+)?"
            + "by\\s+([A-Za-z0-9][A-Za-z0-9.-]{0,252})\\s+\\(Veil\\)\\s+with\\s+(E?SMTPS?A?)\\s+id\\s+([0-9A-HJKMNP-TV-Z]{10,40})"
            + "(?:\\s+for\\s+<[^<>\\s]{1,320}>)?\\s*;\\s*([A-Z][a-z]{2}, \\d{1,2} [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d [+-]\\d{4})\\s*");

    private VeilTraceFields() {
    }

    /** The values to show, in header order; none when the header holds no field for {@code id}. */
    static List<String> shown(HeaderBlock header, QueueId id) {
        List<String[]> veil = new ArrayList<>();
        String ownHost = null;
        for (HeaderField field : header.all("Received")) {
            Matcher m = VEIL_RECEIVED.matcher(field.value().strip());
            if (m.matches()) {
                veil.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4)});
                if (m.group(3).equals(id.value())) {
                    ownHost = m.group(1);
                }
            }
        }
        List<String> shown = new ArrayList<>();
        for (String[] f : veil) {
            if (f[0].equalsIgnoreCase(ownHost)) {
                shown.add("by " + f[0] + " (Veil) with " + f[1] + " id " + f[2] + "; " + f[3]);
            }
        }
        return shown;
    }
}
