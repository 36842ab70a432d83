package dev.veil.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks that need all rules at once: rules that can never match because an earlier rule always does (on every rule
 * whose name and match were read), protected domains whose inbound mail no rule serves, and rules whose recipients
 * could share a message while one rule protects it less (on complete rules).
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
                            + "' (line " + a.line() + ") comes first and matches everything it does"
                            + (earlier.coversLiterally(later) ? "" : " (a rule for a mailbox holds for its sub-addresses,"
                            + " as Exchange delivers them to it)") + " — move '" + b.name()
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
        List<String> protectedGlobs = domains.stream().map(d -> AddressPattern.parseDomain(d.value()).domain()).toList();
        for (int i = 0; i < sites.size(); i++) {
            CompiledRule r = CompiledRule.of(i, sites.get(i).rule());
            // an inbound rule only for domains Veil does not protect: their mail is refused at RCPT, so it is dead (a
            // black-box probe's typo, ceo@exmaple.com, left the CEO's mail to the next rule without a word)
            if (r.rule().match().direction() == Direction.INBOUND && !r.recipients().isEmpty()
                    && r.recipients().stream().noneMatch(p -> p.kind() == AddressPattern.Kind.ANY
                    || protectedGlobs.stream().anyMatch(p::mayOverlapDomain))) {
                problems.warning(sites.get(i).node(), "rule '" + r.rule().name() + "' can never match: it is for"
                        + " inbound mail to " + r.recipients().stream().map(p -> "'" + p.text().strip() + "'")
                        .collect(java.util.stream.Collectors.joining(", ")) + ", in no domain listed under 'domains',"
                        + " and Veil refuses such mail — check the spelling, or add the domain");
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

    /**
     * Rules apply per recipient, so one inbound message to recipients of two rules reaches Exchange as each rule says:
     * when one encrypts (or pseudonymises) and the other does not, the other's copy shows what the first hides, and
     * names the first rule's recipients. Warned on the less protective rule, for each pair that can select different
     * recipients of one message (at least one of them names recipients) in the same direction; senders are not
     * compared.
     */
    void mixedProtection(List<RuleSite> sites) {
        List<CompiledRule> inbound = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) {
            CompiledRule r = CompiledRule.of(i, sites.get(i).rule());
            if (r.directionMatches(Direction.INBOUND) && !(r.rule().action() instanceof Action.Reject)) {
                inbound.add(r);
            }
        }
        for (int j = 0; j < inbound.size(); j++) {
            Rule weaker = inbound.get(j).rule();
            for (int i = 0; i < inbound.size(); i++) {
                Rule stronger = inbound.get(i).rule();
                if (i == j || (inbound.get(i).recipients().isEmpty() && inbound.get(j).recipients().isEmpty())) {
                    continue;
                }
                String hidden = encrypts(stronger) && !encrypts(weaker) ? "encrypts"
                        : pseudonymises(stronger) && !pseudonymises(weaker) ? "pseudonymises correspondents" : null;
                if (hidden != null) {
                    problems.warning(sites.get(inbound.get(j).index()).node(), "rule '" + stronger.name() + "' (line "
                            + stronger.line() + ") " + hidden + " but rule '" + weaker.name() + "' does not: rules apply"
                            + " per recipient, so a message to recipients of both reaches Exchange through '"
                            + weaker.name() + "' as it says, naming the others too — give recipients who may share"
                            + " mail the same protection");
                    break;
                }
            }
        }
    }

    private static boolean encrypts(Rule rule) {
        return rule.action() instanceof Action.Encrypt;
    }

    private static boolean pseudonymises(Rule rule) {
        return rule.pseudonymise().filter(Action.Pseudonymise::correspondents).isPresent();
    }
}
