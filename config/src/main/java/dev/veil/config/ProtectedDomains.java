package dev.veil.config;

import java.util.AbstractList;
import java.util.HashSet;
import java.util.List;
import java.util.RandomAccess;
import java.util.Set;

/**
 * The protected domains as written in the file, plus the normalised lookup sets {@link Policy#protects} needs (kept in
 * the list for the same reason as {@link RuleList}). {@code example.com} protects exactly that domain;
 * {@code *.example.com} protects every sub-domain at any depth but not {@code example.com} itself.
 */
final class ProtectedDomains extends AbstractList<String> implements RandomAccess {
    private final List<String> written;
    private final Set<String> exact = new HashSet<>();
    private final Set<String> parents = new HashSet<>();

    private ProtectedDomains(List<String> domains) {
        written = List.copyOf(domains);
        for (String d : written) {
            AddressPattern p = AddressPattern.parseDomain(d);
            if (p.kind() == AddressPattern.Kind.SUBDOMAINS) {
                parents.add(p.domain().substring(2));
            } else {
                exact.add(p.domain());
            }
        }
    }

    static ProtectedDomains of(List<String> domains) {
        return domains instanceof ProtectedDomains p ? p : new ProtectedDomains(domains);
    }

    boolean protects(String domain) {
        if (domain == null || domain.isBlank()) {
            return false;
        }
        String d = Addresses.domain(domain);
        if (exact.contains(d)) {
            return true;
        }
        for (int dot = d.indexOf('.'); dot >= 0; dot = d.indexOf('.', dot + 1)) {
            if (parents.contains(d.substring(dot + 1))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String get(int i) {
        return written.get(i);
    }

    @Override
    public int size() {
        return written.size();
    }

    /**
     * An alias domain as the policy writes it (a pseudonymise rule's or the contacts section's): one domain, not
     * protected. Null, with the problem reported at {@code s}, when it is not.
     *
     * @param aliases what would collide with real mailboxes, as the error says it ("aliases", "contact aliases")
     */
    String aliasDomain(Scalar s, Problems problems, String aliases) {
        try {
            AddressPattern d = AddressPattern.parseDomain(s.value());
            if (d.kind() != AddressPattern.Kind.DOMAIN) {
                problems.error(s.node(), "the alias domain must be one domain, not a wildcard");
                return null;
            }
            if (protects(d.domain())) {
                problems.error(s.node(), "alias domain '" + s.value() + "' is a protected domain: " + aliases
                        + " would collide with real mailboxes — use a domain of its own, e.g. alias." + d.domain());
                return null;
            }
            return d.domain();
        } catch (AddressPattern.Invalid e) {
            problems.error(s.node(), e.getMessage());
            return null;
        }
    }
}
