package dev.veil.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A loaded, validated key policy. Immutable: a reload builds a new one and swaps it in atomically.
 *
 * @param contentHash SHA-256 (hex) of the file's bytes: the policy version recorded in the audit table
 * @param contacts    what Exchange receives for each contact field
 * @param authentication what happens to inbound mail that fails sender authentication (DMARC)
 */
public record Policy(
        int version,
        String organisation,
        List<String> domains,
        KeySettings keys,
        OnError onError,
        List<Rule> rules,
        String source,
        String contentHash,
        ContactsPolicy contacts,
        AuthenticationPolicy authentication) {

    /**
     * Compiles the rules and domains once, here: an invalid pattern in a hand-built policy fails now with
     * {@link IllegalArgumentException}, not on the first message.
     */
    public Policy {
        domains = ProtectedDomains.of(domains);
        rules = RuleList.of(rules);
        contacts = contacts == null ? ContactsPolicy.defaults() : contacts;
        authentication = authentication == null ? AuthenticationPolicy.defaults() : authentication;
    }

    /** Default sender-authentication handling. */
    public Policy(int version, String organisation, List<String> domains, KeySettings keys, OnError onError,
                  List<Rule> rules, String source, String contentHash, ContactsPolicy contacts) {
        this(version, organisation, domains, keys, onError, rules, source, contentHash, contacts,
                AuthenticationPolicy.defaults());
    }

    /** The original shape: default contact treatments. */
    public Policy(int version, String organisation, List<String> domains, KeySettings keys, OnError onError,
                  List<Rule> rules, String source, String contentHash) {
        this(version, organisation, domains, keys, onError, rules, source, contentHash, ContactsPolicy.defaults());
    }

    /**
     * True when mail for this domain (case-insensitive; U-label or A-label) is Veil's to protect: the domain is listed,
     * or a listed {@code *.parent} covers it.
     */
    public boolean protects(String domain) {
        return ((ProtectedDomains) domains).protects(domain);
    }

    /**
     * The first rule that matches, or empty when none does (the caller then fails closed). A null, empty or {@code <>}
     * sender is the null (bounce) sender; addresses may carry angle brackets.
     */
    public Optional<Decision> decide(Direction direction, String sender, String recipient) {
        String[] to = Addresses.split(recipient);
        if (to == null || direction == null) {
            return Optional.empty();
        }
        String[] from = Addresses.split(sender);
        RuleIndex index = ((RuleList) rules).index();
        int i = index.first(direction, from, to);
        String[] mailbox = withoutDetail(to);
        if (mailbox != null) {
            int j = index.first(direction, from, mailbox);
            if (j >= 0 && (i < 0 || j < i)) {
                i = j;
            }
        }
        if (i < 0) {
            return Optional.empty();
        }
        Rule rule = rules.get(i);
        return Optional.of(new Decision(rule, rule.action()));
    }

    /**
     * The mailbox a sub-address is delivered to: {@code board+x@example.com} without its {@code +x}, or null when the
     * local part has no detail. Exchange Online delivers plus addresses to the mailbox itself, so a rule that names
     * {@code board@example.com} must hold for {@code board+anything@example.com} as well (a black-box probe's
     * {@code board+x@} passed in clear under the domain's pass rule while the rule for board encrypted); of the rules
     * for the address as written and for its mailbox, the first in the file decides.
     */
    static String[] withoutDetail(String[] to) {
        if (to == null) {
            return null;
        }
        int plus = to[0].indexOf('+');
        return plus > 0 ? new String[] {to[0].substring(0, plus), to[1]} : null;
    }

    /**
     * Why {@link #decide} answers what it does: every rule tried in order, why each earlier one did not match, and what
     * the matching one will do with which keys. Always agrees with {@code decide}.
     */
    public Explanation explain(Direction direction, String sender, String recipient) {
        String[] from = Addresses.split(sender);
        String[] to = Addresses.split(recipient);
        List<Explanation.Step> steps = new ArrayList<>();
        Optional<Decision> decision = Optional.empty();
        if (to != null) {
            String[] mailbox = withoutDetail(to);
            for (CompiledRule r : ((RuleList) rules).index().compiled()) {
                String miss = RuleMiss.why(r, direction, from, to);
                String[] matched = to;
                if (miss != null && mailbox != null && RuleMiss.why(r, direction, from, mailbox) == null) {
                    miss = null; // the rule holds for the mailbox this sub-address is delivered to
                    matched = mailbox;
                }
                String why = miss == null ? RuleMiss.whyMatched(r, from, matched)
                        + (matched == mailbox ? " (as " + Addresses.display(mailbox) + ", the mailbox this"
                        + " sub-address is delivered to)" : "") : miss;
                steps.add(new Explanation.Step(r.rule(), miss == null, why));
                if (miss == null) {
                    decision = Optional.of(new Decision(r.rule(), r.rule().action()));
                    break;
                }
            }
        }
        return new Explanation(direction, Addresses.display(from), to == null ? "" : Addresses.display(to),
                to != null && protects(to[1]), steps, decision, onError, keys, source);
    }
}
