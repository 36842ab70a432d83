package dev.veil.gateway.correspondents;

import dev.veil.config.Action;
import dev.veil.config.Policy;
import dev.veil.config.Rule;
import java.net.IDN;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The {@link Reidentifier} Veil runs with until the vault-backed one is plugged in: it knows which addresses are
 * aliases (their domain is a {@code pseudonymise} rule's {@code alias-domain} in the current policy) and resolves
 * none of them, so every alias recipient is refused with {@code 550 5.1.1} and nothing is guessed.
 */
public final class AliasDomainsOnly implements Reidentifier {
    private final Supplier<Policy> policy;

    public AliasDomainsOnly(Supplier<Policy> policy) {
        this.policy = policy;
    }

    @Override
    public boolean isAliasAddress(String address) {
        Policy current = policy.get();
        String domain = domainOf(address);
        if (current == null || domain == null) {
            return false;
        }
        for (Rule rule : current.rules()) {
            Optional<Action.Pseudonymise> p = rule.pseudonymise();
            if (p.isPresent() && p.get().correspondents() && p.get().aliasDomain() != null
                    && domain.equals(normalise(p.get().aliasDomain()))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Optional<String> realAddress(String aliasAddress) {
        return Optional.empty();
    }

    @Override
    public Optional<String> realMessageId(String tokenisedMessageId) {
        return Optional.empty();
    }

    /** The A-label, lower-case domain of an address (angle brackets allowed), or null when there is none. */
    static String domainOf(String address) {
        if (address == null) {
            return null;
        }
        String a = address.strip();
        if (a.startsWith("<") && a.endsWith(">")) {
            a = a.substring(1, a.length() - 1);
        }
        int at = a.lastIndexOf('@');
        if (at <= 0 || at == a.length() - 1) {
            return null;
        }
        return normalise(a.substring(at + 1));
    }

    private static String normalise(String domain) {
        String d = domain.strip();
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        try {
            return IDN.toASCII(d, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return d.toLowerCase(Locale.ROOT);
        }
    }
}
