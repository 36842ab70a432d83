package dev.veil.gateway.correspondents;

import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.db.AliasDao;
import java.net.IDN;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which real correspondent stands behind which alias. The alias itself is a keyed hash of the address
 * ({@link Pseudonymiser#aliasLocalPart}), so the same person always gets the same alias — across messages, restarts
 * and nodes — without asking the directory; the directory is what makes it reversible (the real address as an
 * AES-SIV token, never in plain) and what guarantees that two people never share an alias: registering an alias that
 * is already someone else's fails with {@link AliasCollisionException}.
 */
public final class AliasDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(AliasDirectory.class);
    /** Pseudonymiser token kind of the real address in the directory. */
    public static final String TOKEN_KIND = "a";
    /** Confirmed registrations kept in memory (rows never change once written), so most mail needs no query. */
    private static final int CACHE_LIMIT = 100_000;

    private final AliasDao dao;
    private final Supplier<Pseudonymiser> pseudonymiser;
    private final Clock clock;
    /**
     * Confirmed registrations by address and alias domain, for the pseudonymiser that made them (rows never change once
     * written): a correspondent who writes again costs a map lookup, not a query, a keyed hash and an AES-SIV token
     * (two per message, From and envelope sender). Holds real addresses, as the process does while it handles their
     * mail; never written anywhere.
     */
    private volatile KnownAliases known = new KnownAliases(null);

    /** Aliases by canonical address and alias domain, valid for one pseudonymiser (a new one starts empty). */
    private record KnownAliases(Pseudonymiser madeBy, Map<AddressAt, String> byAddress) {
        KnownAliases(Pseudonymiser madeBy) {
            this(madeBy, new ConcurrentHashMap<>());
        }
    }

    private record AddressAt(String canonicalAddress, String aliasDomain) {
    }

    public AliasDirectory(AliasDao dao, Supplier<Pseudonymiser> pseudonymiser, Clock clock) {
        this.dao = dao;
        this.pseudonymiser = pseudonymiser;
        this.clock = clock;
    }

    /**
     * The form an address is pseudonymised and stored in: local part lower case (Exchange and the policy compare it
     * so), domain lower-case A-labels ({@code bücher.example} and {@code xn--bcher-kva.example} are one domain), no
     * trailing dot. An address without a domain is its local part.
     *
     * @throws AddressParser.MalformedAddressException when the domain is not a valid internationalised name
     */
    public static String canonical(String localPart, String domain) throws AddressParser.MalformedAddressException {
        String local = localPart.strip().toLowerCase(Locale.ROOT);
        if (local.isEmpty()) {
            throw new AddressParser.MalformedAddressException("an address without a local part");
        }
        if (domain.isBlank()) {
            return local;
        }
        return local + "@" + canonicalDomain(domain);
    }

    /**
     * {@link #canonical} of a whole address, split at its last {@code @}; empty when it has no local part or domain, or
     * the domain is not a valid internationalised name.
     */
    public static java.util.Optional<String> canonicalAddress(String address) {
        int at = address == null ? -1 : address.lastIndexOf('@');
        if (at <= 0) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(canonical(address.substring(0, at), address.substring(at + 1)));
        } catch (AddressParser.MalformedAddressException e) {
            return java.util.Optional.empty();
        }
    }

    /** A domain in lower-case A-labels, without a trailing dot. */
    public static String canonicalDomain(String domain) throws AddressParser.MalformedAddressException {
        String d = domain.strip();
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (d.chars().allMatch(c -> c < 0x80)) {
            return d.toLowerCase(Locale.ROOT);
        }
        try {
            return IDN.toASCII(d, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new AddressParser.MalformedAddressException("domain is not a valid internationalised domain name: "
                    + e.getMessage());
        }
    }

    /**
     * Registers (if it is new) and returns the alias address of {@code canonicalAddress} at {@code aliasDomain}.
     *
     * @throws AliasCollisionException when the alias already stands for someone else
     * @throws SQLException            when the directory cannot be written: the caller fails closed
     */
    public String register(String canonicalAddress, String aliasDomain) throws AliasCollisionException, SQLException {
        Pseudonymiser p = pseudonymiser.get();
        KnownAliases cache = known;
        if (cache.madeBy() != p) {
            cache = new KnownAliases(p);
            known = cache;
        }
        AddressAt key = new AddressAt(canonicalAddress, aliasDomain);
        String knownAlias = cache.byAddress().get(key);
        if (knownAlias != null) {
            return knownAlias;
        }
        String local = p.aliasLocalPart(canonicalAddress);
        String alias = local + "@" + aliasDomain;
        String token = p.token(TOKEN_KIND, canonicalAddress);
        AliasEntry row = dao.insertIfAbsent(new AliasEntry(local, aliasDomain, token, p.currentVersion(), clock.instant()));
        if (!row.realToken().equals(token)) {
            Optional<String> holder = p.reveal(TOKEN_KIND, row.realToken());
            if (holder.isEmpty() || !holder.get().equals(canonicalAddress)) {
                // an admin must look at this: the alias cannot be given to a second person (no addresses logged)
                LOG.error("alias collision: {} is registered for another correspondent{}; mail needing it waits", alias,
                        holder.isEmpty() ? " (its row does not decrypt with the keys held)" : "");
                throw new AliasCollisionException("alias " + alias + " is already registered for another correspondent"
                        + (holder.isEmpty() ? " (its directory row does not decrypt with the keys held)" : "")
                        + "; not reusing it — the message waits until an admin resolves this");
            }
        }
        remember(cache, key, alias);
        return alias;
    }

    private static void remember(KnownAliases cache, AddressAt key, String alias) {
        if (cache.byAddress().size() >= CACHE_LIMIT) {
            cache.byAddress().clear();
        }
        cache.byAddress().put(key, alias);
    }

    /**
     * The real address (canonical form) behind an alias, or empty when the directory has no row for it, the row
     * does not decrypt with the keys held, or it does not belong to this alias (a row copied or altered in the
     * database: the alias is recomputed from the address and must match).
     *
     * @throws SQLException when the directory cannot be read
     */
    public Optional<String> realAddress(String aliasLocal, String aliasDomain) throws SQLException {
        Optional<AliasEntry> row = dao.find(aliasLocal, aliasDomain);
        if (row.isEmpty()) {
            return Optional.empty();
        }
        Pseudonymiser p = pseudonymiser.get();
        Optional<String> real = p.reveal(TOKEN_KIND, row.get().realToken());
        if (real.isEmpty()) {
            return Optional.empty();
        }
        // the alias is a keyed hash under the current key version: rows of older versions cannot be re-checked here
        if (row.get().keyVersion() == p.currentVersion() && !p.aliasLocalPart(real.get()).equals(aliasLocal)) {
            return Optional.empty();
        }
        return real;
    }

    /** Every alias domain with a registration, an earlier policy's included. */
    public java.util.Set<String> aliasDomains() throws SQLException {
        return dao.aliasDomains();
    }
}
