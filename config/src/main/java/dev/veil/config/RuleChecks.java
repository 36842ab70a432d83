package dev.veil.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks that need all rules at once: rules that can never match because an earlier rule always does (on every rule
 * whose name and match were read), and protected domains whose inbound mail no rule serves (on complete rules).
 */
final class RuleChecks {
    private final Problems problems;

    RuleChecks(Problems problems) {
        this.problems = problems;
    }

    /** Pairwise: a rule is shadowed when one earlier rule covers it alone (a union of earlier rules is not detected). */
    void shadowing(List<RuleHead> sites) {
        List<CompiledRule> compiled = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) {
            compiled.add(CompiledRule.of(i, sites.get(i).asRule()));
        }
        for (int j = 1; j < compiled.size(); j++) {
            CompiledRule later = compiled.get(j);
            for (int i = 0; i < j; i++) {
                CompiledRule earlier = compiled.get(i);
                if (!earlier.covers(later)) {
                    continue;
                }
                Rule a = earlier.rule();
                Rule b = later.rule();
                if (later.covers(earlier)) {
                    problems.error(sites.get(j).node(), "rule '" + b.name() + "' matches exactly what rule '" + a.name()
                            + "' (line " + a.line() + ") matches, so it can never apply — remove it or merge the two");
                } else {
                    problems.error(sites.get(j).node(), "rule '" + b.name() + "' can never match: rule '" + a.name()
                            + "' (line " + a.line() + ") comes first and matches everything it does — move '" + b.name()
                            + "' above it or narrow '" + a.name() + "'");
                }
                break;
            }
        }
    }

    /** Every protected domain needs a rule for its inbound mail; a domain only partly served gets a warning. */
    void domainsServed(List<Scalar> domains, List<RuleSite> sites) {
        List<CompiledRule> inbound = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) {
            CompiledRule r = CompiledRule.of(i, sites.get(i).rule());
            if (r.directionMatches(Direction.INBOUND)) {
                inbound.add(r);
            }
        }
        for (Scalar d : domains) {
            AddressPattern domain = AddressPattern.parseDomain(d.value());
            String glob = domain.domain();
            boolean any = inbound.stream().anyMatch(r -> r.recipients().isEmpty()
                    || r.recipients().stream().anyMatch(p -> p.kind() == AddressPattern.Kind.ANY || p.mayOverlapDomain(glob)));
            String example = "*@" + glob;
            if (!any) {
                problems.error(d.node(), "protected domain '" + d.value() + "' has no rule: its inbound mail could only be"
                        + " deferred — add a rule with recipient '" + example + "'");
                continue;
            }
            boolean all = inbound.stream().anyMatch(r -> r.senders().isEmpty() && (r.recipients().isEmpty()
                    || r.recipients().stream().anyMatch(p -> p.covers(domain))));
            if (!all) {
                problems.warning(d.node(), "not every inbound message for '" + d.value() + "' has a rule: the rest is"
                        + " handled by on-error — end the rules with one for recipient '" + example + "'");
            }
        }
    }
}
