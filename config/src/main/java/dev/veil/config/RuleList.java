package dev.veil.config;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * The immutable rule list a {@link Policy} holds, carrying its compiled {@link RuleIndex}. A record cannot have fields
 * beyond its components, and {@code Policy.rules()} must stay a plain {@code List<Rule>}; hiding the index in the list
 * keeps both, and the index is built exactly once per policy.
 */
final class RuleList extends AbstractList<Rule> implements RandomAccess {
    private final List<Rule> rules;
    private final RuleIndex index;

    private RuleList(List<Rule> rules) {
        this.rules = List.copyOf(rules);
        this.index = new RuleIndex(this.rules);
    }

    static RuleList of(List<Rule> rules) {
        return rules instanceof RuleList r ? r : new RuleList(rules);
    }

    RuleIndex index() {
        return index;
    }

    @Override
    public Rule get(int i) {
        return rules.get(i);
    }

    @Override
    public int size() {
        return rules.size();
    }
}
