package dev.veil.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;

/** Turns the composed YAML tree into a {@link Policy}, reporting every problem; returns null when there are errors. */
final class PolicyReader {
    static final List<String> TOP = List.of("version", "organisation", "domains", "keys", "rules", "on-error", "contacts",
            "authentication");
    static final List<String> ON_ERROR = List.of("defer", "quarantine", "reject");
    static final int VERSION = 1;

    private final Problems problems;
    private final NamedKeyCheck namedKeyCheck;

    PolicyReader(Problems problems, NamedKeyCheck namedKeyCheck) {
        this.problems = problems;
        this.namedKeyCheck = namedKeyCheck;
    }

    Policy read(Node root, String source, String contentHash) {
        YamlMap top = YamlMap.of(root, "the policy", TOP, problems);
        if (top == null) {
            return null;
        }
        version(top);
        Scalar org = top.requiredText("organisation", "the organisation's name, e.g. 'organisation: Example Ltd'");
        String organisation = org == null ? "" : org.value().strip();
        if (org != null && organisation.isEmpty()) {
            problems.error(org.node(), "'organisation' is blank");
        }
        List<Scalar> domains = domains(top);
        ProtectedDomains protectedDomains = ProtectedDomains.of(domains.stream().map(Scalar::value).toList());
        KeySettings keys = new KeysReader(problems, namedKeyCheck).read(top.value("keys"), organisation, top.node());
        OnError onError = onError(top);
        List<RuleSite> rules = List.of();
        List<RuleHead> heads = List.of();
        boolean allRulesRead = false;
        if (!top.has("rules")) {
            top.missing("rules", "without rules every message is handled by on-error");
        } else {
            RulesReader reader = new RulesReader(problems, keys, protectedDomains);
            rules = reader.read(top.value("rules"));
            heads = reader.heads();
            allRulesRead = reader.ruleCount() == rules.size() && !rules.isEmpty();
        }
        String ruleAliasDomain = rules.stream().map(r -> r.rule().pseudonymise()).flatMap(java.util.Optional::stream)
                .filter(Action.Pseudonymise::correspondents).map(Action.Pseudonymise::aliasDomain).findFirst().orElse(null);
        ContactsPolicy contacts = new ContactsReader(problems, protectedDomains).read(
                top.has("contacts") ? top.keyNode("contacts") : null, top.value("contacts"), ruleAliasDomain);
        AuthenticationPolicy authentication = new AuthenticationReader(problems).read(top.value("authentication"));
        // Shadowing is pairwise and needs only matches, so it holds among every rule whose match was read, errors
        // elsewhere in it or not; "no rule for this domain" would be a false alarm if the rule meant for it is one
        // that had an error.
        RuleChecks checks = new RuleChecks(problems);
        checks.shadowing(heads);
        if (allRulesRead) {
            checks.domainsServed(domains, rules);
            checks.mixedProtection(rules);
        }
        if (problems.hasErrors()) {
            return null;
        }
        return new Policy(VERSION, organisation, protectedDomains, keys, onError,
                rules.stream().map(RuleSite::rule).toList(), source, contentHash, contacts, authentication);
    }

    private void version(YamlMap top) {
        if (!top.has("version")) {
            top.missing("version", "add 'version: 1' at the top");
            return;
        }
        Integer v = top.integer("version");
        if (v != null && v != VERSION) {
            problems.error(top.value("version"), "unsupported version " + v + " — this Veil reads version " + VERSION);
        }
    }

    private List<Scalar> domains(YamlMap top) {
        if (!top.has("domains")) {
            top.missing("domains", "the domains whose mail Veil protects, e.g. 'domains: [example.com]'");
            return List.of();
        }
        List<Scalar> list = top.textList("domains");
        List<Scalar> out = new ArrayList<>();
        if (list == null) {
            return out;
        }
        Map<String, Scalar> seen = new HashMap<>();
        for (Scalar s : list) {
            try {
                AddressPattern d = AddressPattern.parseDomain(s.value());
                Scalar first = seen.putIfAbsent(d.domain(), s);
                if (first != null) {
                    problems.error(s.node(), "domain '" + s.value() + "' is listed twice (also on line " + YamlMap.line(first.node()) + ")");
                } else {
                    out.add(s);
                }
            } catch (AddressPattern.Invalid e) {
                problems.error(s.node(), e.getMessage());
            }
        }
        return out;
    }

    private OnError onError(YamlMap top) {
        Scalar s = top.text("on-error");
        if (s == null) {
            return OnError.DEFER;
        }
        if (ON_ERROR.contains(s.value())) {
            return OnError.valueOf(s.value().toUpperCase(Locale.ROOT));
        }
        if (List.of("pass", "relay", "send", "deliver", "plaintext", "ignore").contains(s.value())) {
            problems.error(s.node(), "on-error cannot be '" + s.value() + "': no value sends plaintext — choose defer, quarantine or reject");
            return null;
        }
        YamlMap.oneOf(s, "on-error value", ON_ERROR, problems);
        return null;
    }
}
