package dev.veil.gateway.correspondents;

import dev.veil.config.Action;
import dev.veil.config.Policy;
import dev.veil.config.Rule;
import dev.veil.crypto.Pseudonymiser;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@link Reidentifier} over the alias directory and the pseudonym keys. The alias domains are those of the
 * {@code pseudonymise} actions of the policy in force (a reload changes them at once), and every domain the directory
 * holds aliases in: after a rule's {@code alias-domain} changes, replies to the aliases Exchange already holds still
 * reach the real people (a black-box probe's were relayed unresolved, to the old alias domain, as if it were any
 * other). An alias resolves only when
 * it is well formed ({@code c-} and 20 base32 characters), lies in an alias domain, has a directory row, and that row
 * decrypts to an address whose alias it is; a Message-ID token only when it lies in an alias domain and decrypts.
 *
 * <p>A directory that cannot be read is an {@link IllegalStateException}, not an empty answer: the caller must answer
 * "try again later" (4xx), not "no such alias" (5xx).
 */
public final class VaultReidentifier implements Reidentifier {
    private static final Pattern ALIAS_LOCAL = Pattern.compile("c-[a-z2-7]{20}");
    /**
     * A display name made of the pseudonyms a contact's names become in Exchange (kind {@code n}: a token, hash or
     * ciphertext, {@link Pseudonymiser}), as Outlook writes it for a contact picked from the address book, the
     * words perhaps separated by a comma ("Family, Given").
     */
    private static final Pattern NAME_PSEUDONYMS =
            Pattern.compile("n[0-9]+-[A-Za-z0-9_-]{16,}(?:,? +n[0-9]+-[A-Za-z0-9_-]{16,})*");

    private final AliasDirectory directory;
    private final Supplier<Policy> policies;
    private final Supplier<Pseudonymiser> pseudonymiser;
    private volatile AliasDomains domains = new AliasDomains("", Set.of(), Set.of(), List.of());

    public VaultReidentifier(AliasDirectory directory, Supplier<Policy> policies, Supplier<Pseudonymiser> pseudonymiser) {
        this.directory = directory;
        this.policies = policies;
        this.pseudonymiser = pseudonymiser;
    }

    /**
     * The alias domains of one policy version ({@code domains}; with those the directory holds: {@code recognised}),
     * and the display names its rules give correspondents.
     */
    private record AliasDomains(String policyVersion, Set<String> domains, Set<String> recognised,
                                List<Pattern> labels) {
    }

    /** Every alias domain of the policy's rules that pseudonymise correspondents (A-labels, lower case). */
    public static Set<String> aliasDomains(Policy policy) {
        Set<String> out = new HashSet<>();
        if (policy != null) {
            for (Rule rule : policy.rules()) {
                rule.pseudonymise().filter(Action.Pseudonymise::correspondents)
                        .ifPresent(p -> out.add(p.aliasDomain().toLowerCase(Locale.ROOT)));
            }
        }
        return Set.copyOf(out);
    }

    /**
     * The display names the policy's rules give correspondents, as patterns: each {@code display-name} template with
     * {@code {token}} standing for any label (one made under an earlier pseudonym key too); none for a blank one.
     */
    static List<Pattern> labelPatterns(Policy policy) {
        List<Pattern> out = new ArrayList<>();
        if (policy != null) {
            for (Rule rule : policy.rules()) {
                rule.pseudonymise().filter(Action.Pseudonymise::correspondents).map(Action.Pseudonymise::displayName)
                        .filter(template -> !template.isBlank())
                        .ifPresent(template -> out.add(labelPattern(template)));
            }
        }
        return List.copyOf(out);
    }

    private static Pattern labelPattern(String template) {
        return Pattern.compile(Arrays.stream(template.strip().split("\\{token}", -1)).map(Pattern::quote)
                .collect(Collectors.joining("[A-Z2-7]{4}")));
    }

    @Override
    public boolean isLabel(String displayName) {
        String name = displayName.strip();
        return NAME_PSEUDONYMS.matcher(name).matches()
                || current().labels().stream().anyMatch(p -> p.matcher(name).matches());
    }

    @Override
    public boolean isAliasAddress(String address) {
        return split(address) != null;
    }

    @Override
    public Optional<String> realAddress(String aliasAddress) {
        String[] parts = split(aliasAddress);
        if (parts == null) {
            return Optional.empty();
        }
        String local = parts[0].toLowerCase(Locale.ROOT);
        if (!ALIAS_LOCAL.matcher(local).matches()) {
            return Optional.empty();
        }
        try {
            return directory.realAddress(local, parts[1]);
        } catch (SQLException e) {
            throw new IllegalStateException("the alias directory cannot be read: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<String> realMessageId(String tokenisedMessageId) {
        String id = tokenisedMessageId.strip();
        if (id.startsWith("<") && id.endsWith(">")) {
            id = id.substring(1, id.length() - 1);
        }
        int at = id.lastIndexOf('@');
        String domain = at < 0 ? null : domain(id.substring(at + 1));
        if (domain == null || !current().recognised().contains(domain)) {
            return Optional.empty();
        }
        return pseudonymiser.get().revealMessageId(id);
    }

    @Override
    public Optional<String> partyOf(String realAddress) {
        return AliasDirectory.canonicalAddress(realAddress)
                .map(canonical -> pseudonymiser.get().aliasLocalPart(canonical).toLowerCase(Locale.ROOT));
    }

    @Override
    public Optional<String> aliasOf(String realAddress) {
        Optional<String> canonicalAddress = AliasDirectory.canonicalAddress(realAddress);
        if (canonicalAddress.isEmpty()) {
            return Optional.empty();
        }
        String canonical = canonicalAddress.get();
        // the alias is a keyed hash of the address: only a row that resolves back to it counts
        String local = pseudonymiser.get().aliasLocalPart(canonical);
        // the policy's domains first, then those of earlier policies (a bounce names the alias Exchange knows)
        AliasDomains known = current();
        List<String> domains = new ArrayList<>(new java.util.TreeSet<>(known.domains()));
        new java.util.TreeSet<>(known.recognised()).stream().filter(d -> !known.domains().contains(d))
                .forEach(domains::add);
        for (String domain : domains) {
            try {
                if (directory.realAddress(local, domain).filter(canonical::equals).isPresent()) {
                    return Optional.of(local + "@" + domain);
                }
            } catch (SQLException e) {
                throw new IllegalStateException("the alias directory cannot be read: " + e.getMessage(), e);
            }
        }
        return Optional.empty();
    }

    /** {local part, alias domain} when the address lies in an alias domain, else null. */
    private String[] split(String address) {
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
        String domain = domain(a.substring(at + 1));
        return domain != null && current().recognised().contains(domain) ? new String[] {a.substring(0, at), domain}
                : null;
    }

    private static String domain(String raw) {
        try {
            return AliasDirectory.canonicalDomain(raw);
        } catch (AddressParser.MalformedAddressException e) {
            return null;
        }
    }

    private AliasDomains current() {
        Policy policy = policies.get();
        String version = policy == null ? "" : policy.contentHash();
        AliasDomains known = domains;
        if (!known.policyVersion().equals(version)) {
            Set<String> ofPolicy = aliasDomains(policy);
            Set<String> recognised = new HashSet<>(ofPolicy);
            try {
                recognised.addAll(directory.aliasDomains());
            } catch (SQLException e) {
                // not cached: the next call reads again; meanwhile the caller answers "later", as for any alias
                throw new IllegalStateException("the alias directory cannot be read: " + e.getMessage(), e);
            }
            known = new AliasDomains(version, ofPolicy, Set.copyOf(recognised), labelPatterns(policy));
            domains = known;
        }
        return known;
    }
}
