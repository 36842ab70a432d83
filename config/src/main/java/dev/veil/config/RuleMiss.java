package dev.veil.config;

import java.util.List;
import java.util.stream.Collectors;

/** Puts into words why a rule did or did not match, for {@code veil policy explain}. */
final class RuleMiss {
    private RuleMiss() {
    }

    /** Null when the rule matches; otherwise the first reason it does not. */
    static String why(CompiledRule r, Direction direction, String[] sender, String[] recipient) {
        Direction wanted = r.rule().match().direction();
        if (wanted != null && wanted != direction) {
            return "it is for " + name(wanted) + " mail, this is " + name(direction);
        }
        if (!r.recipientMatches(recipient)) {
            return "recipient " + Addresses.display(recipient) + " matches none of " + list(r.recipients());
        }
        if (!r.senderMatches(sender)) {
            return "sender " + Addresses.display(sender) + " matches none of " + list(r.senders());
        }
        return null;
    }

    static String whyMatched(CompiledRule r, String[] sender, String[] recipient) {
        StringBuilder s = new StringBuilder();
        s.append(r.recipients().isEmpty() ? "it applies to every recipient"
                : "recipient " + Addresses.display(recipient) + " matches " + firstMatch(r.recipients(), recipient));
        if (!r.senders().isEmpty()) {
            s.append(", sender ").append(Addresses.display(sender)).append(" matches ").append(firstMatch(r.senders(), sender));
        }
        Direction d = r.rule().match().direction();
        s.append(d == null ? ", in either direction" : ", " + name(d));
        return s.toString();
    }

    private static String firstMatch(List<AddressPattern> patterns, String[] address) {
        return patterns.stream().filter(p -> p.matches(address)).findFirst().map(RuleMiss::quote).orElse("?");
    }

    private static String list(List<AddressPattern> patterns) {
        return patterns.stream().map(RuleMiss::quote).collect(Collectors.joining(", ", "[", "]"));
    }

    // Show what the admin wrote, and the normalised form when IDN or case made it differ.
    private static String quote(AddressPattern p) {
        String n = p.normalised();
        return n.equals(p.text().strip()) ? "'" + n + "'" : "'" + p.text().strip() + "' (" + n + ")";
    }

    static String name(Direction d) {
        return d == null ? "any" : d.name().toLowerCase(java.util.Locale.ROOT);
    }
}
