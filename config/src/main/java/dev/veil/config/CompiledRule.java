package dev.veil.config;

import java.util.List;

/** A rule with its patterns parsed once, so matching never re-reads strings or calls IDN. */
record CompiledRule(int index, Rule rule, List<AddressPattern> recipients, List<AddressPattern> senders) {

    static CompiledRule of(int index, Rule rule) {
        return new CompiledRule(index, rule, parseAll(rule.match().recipients()), parseAll(rule.match().senders()));
    }

    private static List<AddressPattern> parseAll(List<String> patterns) {
        return patterns.stream().map(AddressPattern::parse).toList();
    }

    boolean directionMatches(Direction direction) {
        return rule.match().direction() == null || rule.match().direction() == direction;
    }

    boolean recipientMatches(String[] recipient) {
        return anyMatches(recipients, recipient);
    }

    boolean senderMatches(String[] sender) {
        return anyMatches(senders, sender);
    }

    boolean matches(Direction direction, String[] sender, String[] recipient) {
        return directionMatches(direction) && recipientMatches(recipient) && senderMatches(sender);
    }

    private static boolean anyMatches(List<AddressPattern> patterns, String[] address) {
        if (patterns.isEmpty()) {
            return true;
        }
        for (AddressPattern p : patterns) {
            if (p.matches(address)) {
                return true;
            }
        }
        return false;
    }

    /** As {@link #covers}, not counting that a rule for a mailbox holds for its sub-addresses. */
    boolean coversLiterally(CompiledRule later) {
        Direction mine = rule.match().direction();
        if (mine != null && mine != later.rule.match().direction()) {
            return false;
        }
        return coversAll(recipients, later.recipients) && coversAll(senders, later.senders);
    }

    /** True when this rule matches every message {@code later} would (so {@code later} can never be chosen). */
    boolean covers(CompiledRule later) {
        Direction mine = rule.match().direction();
        if (mine != null && mine != later.rule.match().direction()) {
            return false;
        }
        return coversRecipients(recipients, later.recipients) && coversAll(senders, later.senders);
    }

    /**
     * Recipients: a pattern also holds for the sub-addresses of what it matches ({@link Policy#withoutDetail}), so
     * {@code bob@example.com} covers {@code bob+secret@example.com}. Found by a black-box probe: an encrypt rule for
     * {@code bob+secret@} after a pass rule for {@code bob@} was never chosen, and the checker said nothing.
     */
    private static boolean coversRecipients(List<AddressPattern> wide, List<AddressPattern> narrow) {
        if (wide.isEmpty() || narrow.isEmpty()) {
            return coversAll(wide, narrow);
        }
        for (AddressPattern n : narrow) {
            AddressPattern mailbox = n.mailbox();
            if (!coveredByOne(wide, n) && (mailbox == null || !coveredByOne(wide, mailbox))) {
                return false;
            }
        }
        return true;
    }

    private static boolean coversAll(List<AddressPattern> wide, List<AddressPattern> narrow) {
        if (wide.isEmpty()) {
            return true;
        }
        if (narrow.isEmpty()) {
            return coveredByOne(wide, AddressPattern.ANY_ADDRESS);
        }
        for (AddressPattern n : narrow) {
            if (!coveredByOne(wide, n)) {
                return false;
            }
        }
        return true;
    }

    private static boolean coveredByOne(List<AddressPattern> wide, AddressPattern narrow) {
        for (AddressPattern w : wide) {
            if (w.covers(narrow)) {
                return true;
            }
        }
        return false;
    }
}
