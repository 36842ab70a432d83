package dev.veil.gateway.auth;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The one DNS client of sender authentication (SPF, DKIM keys, DMARC): dnsjava with a timeout, through the servers
 * in {@code auth.dnsServers} (the system's resolvers when empty), with its own cache that honours TTLs. It tells
 * "no such data" (an empty answer: NXDOMAIN or no records of that type) from "could not find out"
 * ({@link DnsTemporaryException}: timeout, SERVFAIL), because SPF and DMARC treat them differently (none vs temperror).
 * The hosts file is not consulted: only DNS answers count.
 */
public final class DnsResolver {
    private final Resolver resolver;
    private final Cache cache = new Cache(DClass.IN);

    public DnsResolver(List<String> servers, Duration timeout) {
        this.resolver = resolver(servers, timeout);
    }

    private static Resolver resolver(List<String> servers, Duration timeout) {
        List<Resolver> resolvers = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        if (servers == null || servers.isEmpty()) {
            addresses.addAll(ResolverConfig.getCurrentConfig().servers());
        } else {
            for (String server : servers) {
                addresses.add(address(server));
            }
        }
        for (InetSocketAddress address : addresses) {
            SimpleResolver simple = new SimpleResolver(address);
            simple.setTimeout(timeout);
            resolvers.add(simple);
        }
        if (resolvers.isEmpty()) {
            throw new IllegalArgumentException("auth.dnsServers is empty and the system has no DNS resolver configured"
                    + " — set auth.dnsServers, e.g. [\"127.0.0.1\"]");
        }
        ExtendedResolver extended = new ExtendedResolver(resolvers);
        extended.setTimeout(timeout);
        extended.setRetries(1);
        return extended;
    }

    /** {@code host}, {@code host:port}, {@code [v6]:port} or a bare IPv6 address. */
    static InetSocketAddress address(String server) {
        String s = server.strip();
        String host = s;
        int port = 53;
        try {
            if (s.startsWith("[")) {
                int close = s.indexOf(']');
                host = s.substring(1, close);
                if (close + 1 < s.length()) {
                    port = Integer.parseInt(s.substring(close + 2));
                }
            } else if (s.indexOf(':') > 0 && s.indexOf(':') == s.lastIndexOf(':')) {
                host = s.substring(0, s.indexOf(':'));
                port = Integer.parseInt(s.substring(s.indexOf(':') + 1));
            }
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException | RuntimeException e) {
            throw new IllegalArgumentException("auth.dnsServers: '" + server + "' is not an IP address with an optional"
                    + " port (e.g. 192.0.2.53 or 192.0.2.53:5353 or [2001:db8::53]:53)");
        }
    }

    /** The TXT records at {@code name}, each one's strings joined (RFC 7208 3.3); empty if there are none. */
    public List<String> txt(String name) throws DnsTemporaryException {
        List<String> out = new ArrayList<>();
        for (Record r : lookup(name, Type.TXT)) {
            StringBuilder joined = new StringBuilder();
            for (String part : ((TXTRecord) r).getStrings()) {
                joined.append(part);
            }
            out.add(joined.toString());
        }
        return out;
    }

    /** The IPv4 ({@code ipv6} false) or IPv6 addresses of {@code name}; empty if there are none. */
    public List<InetAddress> addresses(String name, boolean ipv6) throws DnsTemporaryException {
        List<InetAddress> out = new ArrayList<>();
        for (Record r : lookup(name, ipv6 ? Type.AAAA : Type.A)) {
            out.add(r instanceof ARecord a ? a.getAddress() : ((AAAARecord) r).getAddress());
        }
        return out;
    }

    /** The exchange host names of {@code name}'s MX records, lowest preference first; empty if there are none. */
    public List<String> mx(String name) throws DnsTemporaryException {
        List<MXRecord> records = new ArrayList<>();
        for (Record r : lookup(name, Type.MX)) {
            records.add((MXRecord) r);
        }
        records.sort((a, b) -> Integer.compare(a.getPriority(), b.getPriority()));
        return records.stream().map(r -> r.getTarget().toString(true)).toList();
    }

    private List<Record> lookup(String name, int type) throws DnsTemporaryException {
        Name absolute;
        try {
            absolute = Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            return List.of(); // not a valid domain name: nothing can be published there
        }
        Lookup lookup = new Lookup(absolute, type);
        lookup.setResolver(resolver);
        lookup.setCache(cache);
        lookup.setHostsFileParser(null);
        lookup.setSearchPath(List.of()); // names are absolute: no search domains
        Record[] answers = lookup.run();
        switch (lookup.getResult()) {
            case Lookup.SUCCESSFUL:
                List<Record> out = new ArrayList<>();
                for (Record r : answers) {
                    if (r.getType() == type) {
                        out.add(r);
                    }
                }
                return out;
            case Lookup.HOST_NOT_FOUND:
            case Lookup.TYPE_NOT_FOUND:
                return List.of();
            default:
                throw new DnsTemporaryException("DNS lookup of " + Type.string(type) + " " + name + " failed: "
                        + lookup.getErrorString());
        }
    }
}
