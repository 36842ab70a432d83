package dev.veil.gateway.auth;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * SPF (RFC 7208): {@code check_host()} of the MAIL FROM domain (or, for the null sender, the HELO name) against the
 * connecting client's address. Mechanisms all, include, a, mx, ip4, ip6, exists and ptr (ptr never matches: it is
 * deprecated and costs a reverse lookup per try), modifiers redirect (exp= and unknown modifiers are ignored), macros
 * (section 7), and the processing limits of section 4.6.4: at most 10 DNS-querying terms, 10 MX names per mx, and 2
 * void lookups — over a limit the result is permerror.
 */
public final class SpfEvaluator {
    static final int MAX_DNS_TERMS = 10;
    static final int MAX_VOID_LOOKUPS = 2;
    static final int MAX_MX_NAMES = 10;
    /** The end of a domain-spec without a macro there: "." toplabel ["."] (section 7.1). */
    private static final Pattern TOP_LABEL_END = Pattern.compile(
            "(?s).*\\.([A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])\\.?");

    private final DnsResolver dns;

    public SpfEvaluator(DnsResolver dns) {
        this.dns = dns;
    }

    /** What SPF says about one message, and which identity it checked. */
    public record Verdict(SpfResult result, String scope, String identity, String reason) {
        /** "mailfrom" or "helo": the RFC 8601 property the identity belongs under. */
        public String property() {
            return "smtp." + scope;
        }
    }

    /**
     * Checks the envelope sender; for the null sender (bounces) the HELO identity is checked instead, as section 2.4
     * says, with postmaster as its local part.
     */
    public Verdict check(InetAddress client, String mailFrom, String helo) {
        String sender = mailFrom == null ? "" : mailFrom.strip();
        if (sender.isEmpty()) {
            if (helo == null || helo.isBlank() || !helo.contains(".")) {
                return new Verdict(SpfResult.NONE, "helo", helo == null ? "" : helo.strip(),
                        "null sender and no fully qualified HELO name");
            }
            String domain = helo.strip();
            return new Verdict(evaluate(client, domain, "postmaster@" + domain, domain), "helo", domain, "");
        }
        int at = sender.lastIndexOf('@');
        String domain = at < 0 ? "" : sender.substring(at + 1);
        if (domain.isEmpty() || !domain.contains(".")) {
            return new Verdict(SpfResult.NONE, "mailfrom", sender, "the sender has no domain");
        }
        return new Verdict(evaluate(client, domain, sender, helo == null ? "" : helo.strip()), "mailfrom", sender, "");
    }

    /** {@code check_host(ip, domain, sender)} with fresh limits. */
    public SpfResult evaluate(InetAddress client, String domain, String sender, String helo) {
        Context context = new Context(client, sender, helo);
        try {
            return context.checkHost(domain.toLowerCase(Locale.ROOT));
        } catch (PermError e) {
            return SpfResult.PERMERROR;
        } catch (DnsTemporaryException e) {
            return SpfResult.TEMPERROR;
        }
    }

    /** A reason for permerror (syntax, a limit); ends the whole evaluation. */
    static final class PermError extends Exception {
        PermError(String message) {
            super(message, null, false, false);
        }
    }

    /** One evaluation: the client, the sender, and the counters shared by every nested include and redirect. */
    private final class Context {
        private final InetAddress client;
        private final String sender;
        private final String helo;
        private int dnsTerms;
        private int voidLookups;

        Context(InetAddress client, String sender, String helo) {
            this.client = client;
            // section 4.3: a sender without a local-part is postmaster at its domain (%{s} and %{l} see that)
            this.sender = sender.startsWith("@") ? "postmaster" + sender : sender;
            this.helo = helo;
        }

        SpfResult checkHost(String target) throws PermError, DnsTemporaryException {
            // section 4.3: only a zero-length label not at the end is malformed; the root dot is dropped
            String domain = target.endsWith(".") ? target.substring(0, target.length() - 1) : target;
            if (!validDomain(domain)) {
                return SpfResult.NONE;
            }
            List<String> records = new ArrayList<>();
            for (String txt : dns.txt(domain)) {
                String lower = txt.toLowerCase(Locale.ROOT);
                if (lower.equals("v=spf1") || lower.startsWith("v=spf1 ")) {
                    records.add(txt);
                }
            }
            if (records.isEmpty()) {
                return SpfResult.NONE;
            }
            if (records.size() > 1) {
                throw new PermError(domain + " publishes " + records.size() + " SPF records");
            }
            String[] terms = records.get(0).substring(6).strip().split(" +");
            String redirect = null;
            boolean exp = false;
            // section 4.6: a syntax error anywhere in the record is permerror before any term is evaluated
            List<String> directives = new ArrayList<>();
            for (String term : terms) {
                if (term.isEmpty()) {
                    continue;
                }
                int eq = term.indexOf('=');
                int colon = term.indexOf(':');
                int slash = term.indexOf('/');
                if (eq > 0 && (colon < 0 || eq < colon) && (slash < 0 || eq < slash)) {
                    String name = term.substring(0, eq).toLowerCase(Locale.ROOT);
                    if (!name.matches("[a-z][a-z0-9_.-]*")) {
                        throw new PermError("bad modifier " + term);
                    }
                    String value = term.substring(eq + 1);
                    if (name.equals("redirect")) {
                        if (redirect != null) {
                            throw new PermError("two redirect modifiers");
                        }
                        checkDomainSpec(value, term);
                        redirect = value;
                    } else if (name.equals("exp")) {
                        if (exp) {
                            throw new PermError("two exp modifiers"); // section 6: at most once each
                        }
                        exp = true;
                        checkDomainSpec(value, term);
                    } else {
                        checkMacroString(value, true, term);
                    }
                    continue; // exp= and unknown modifiers do not change the result
                }
                checkMechanism(term);
                directives.add(term);
            }
            for (String term : directives) {
                SpfResult qualifier = SpfResult.PASS;
                char first = term.charAt(0);
                if ("+-~?".indexOf(first) >= 0) {
                    qualifier = switch (first) {
                        case '-' -> SpfResult.FAIL;
                        case '~' -> SpfResult.SOFTFAIL;
                        case '?' -> SpfResult.NEUTRAL;
                        default -> SpfResult.PASS;
                    };
                    term = term.substring(1);
                }
                if (matches(term, domain)) {
                    return qualifier;
                }
            }
            if (redirect != null) {
                countDnsTerm();
                SpfResult result = checkHost(expand(redirect, domain).toLowerCase(Locale.ROOT));
                return result == SpfResult.NONE ? fail("redirect to a domain without SPF") : result;
            }
            return SpfResult.NEUTRAL;
        }

        /** The syntax of one directive (section 5), without any DNS lookup. */
        private void checkMechanism(String directive) throws PermError {
            String term = "+-~?".indexOf(directive.charAt(0)) >= 0 ? directive.substring(1) : directive;
            String name = term.toLowerCase(Locale.ROOT).split("[:/]", 2)[0];
            String rest = term.substring(name.length());
            switch (name) {
                case "all" -> {
                    if (!rest.isEmpty()) {
                        throw new PermError("bad term " + directive);
                    }
                }
                case "include", "exists" -> checkDomainSpec(argument(rest, directive, true), directive);
                case "a", "mx" -> {
                    Cidr cidr = Cidr.parse(rest, directive);
                    if (cidr.domain != null) {
                        checkDomainSpec(cidr.domain, directive);
                    }
                }
                case "ptr" -> {
                    if (!rest.isEmpty()) {
                        checkDomainSpec(argument(rest, directive, true), directive);
                    }
                }
                case "ip4" -> Network.parse(argument(rest, directive, true), false, directive);
                case "ip6" -> Network.parse(argument(rest, directive, true), true, directive);
                default -> throw new PermError("unknown mechanism " + directive);
            }
        }

        /**
         * A domain-spec (section 7.1): a macro-string whose macros may only use the letters of domain names, ending in
         * a macro or in "." and a top label that is not all digits (an optional root dot after it).
         */
        private void checkDomainSpec(String spec, String term) throws PermError {
            int afterLastMacro = checkMacroString(spec, false, term);
            if (afterLastMacro == spec.length() && afterLastMacro > 0) {
                return;
            }
            if (!TOP_LABEL_END.matcher(spec.substring(afterLastMacro)).matches()) {
                throw new PermError("no top label at the end of " + term);
            }
        }

        /**
         * A macro-string (section 7.1): visible characters, {@code %} only in {@code %%}, {@code %_}, {@code %-} or
         * {@code %{letter transformers delimiters}}; the letters c, r and t only where explanation text is allowed.
         */
        private int checkMacroString(String spec, boolean expLetters, String term) throws PermError {
            String letters = expLetters ? "slodiphvcrt" : "slodiphv";
            int afterLastMacro = 0;
            for (int i = 0; i < spec.length(); i++) {
                char c = spec.charAt(i);
                if (c < 0x21 || c > 0x7e) {
                    throw new PermError("bad character in " + term);
                }
                if (c != '%') {
                    continue;
                }
                if (++i >= spec.length()) {
                    throw new PermError("bad macro in " + term);
                }
                char next = spec.charAt(i);
                if (next == '%' || next == '_' || next == '-') {
                    afterLastMacro = i + 1;
                    continue;
                }
                int close = spec.indexOf('}', i);
                if (next != '{' || close < 0
                        || !spec.substring(i + 1, close).matches("(?i)[" + letters + "](0*[1-9][0-9]*)?r?[.\\-+,/_=]*")) {
                    throw new PermError("bad macro in " + term);
                }
                i = close;
                afterLastMacro = close + 1;
            }
            return afterLastMacro;
        }

        private SpfResult fail(String why) throws PermError {
            throw new PermError(why);
        }

        private boolean matches(String term, String domain) throws PermError, DnsTemporaryException {
            String lower = term.toLowerCase(Locale.ROOT);
            String name = lower.split("[:/]", 2)[0];
            String rest = term.substring(name.length());
            switch (name) {
                case "all":
                    if (!rest.isEmpty()) {
                        throw new PermError("bad term " + term);
                    }
                    return true;
                case "include": {
                    countDnsTerm();
                    String target = expand(argument(rest, term, true), domain).toLowerCase(Locale.ROOT);
                    SpfResult result = checkHost(target);
                    return switch (result) {
                        case PASS -> true;
                        case FAIL, SOFTFAIL, NEUTRAL -> false;
                        case TEMPERROR -> throw new DnsTemporaryException("include:" + target + " had a temporary error");
                        default -> throw new PermError("include:" + target + " has no valid SPF record");
                    };
                }
                case "a": {
                    countDnsTerm();
                    Cidr cidr = Cidr.parse(rest, term);
                    String target = cidr.domain == null ? domain : expand(cidr.domain, domain);
                    return anyAddressMatches(target, cidr);
                }
                case "mx": {
                    countDnsTerm();
                    Cidr cidr = Cidr.parse(rest, term);
                    String target = cidr.domain == null ? domain : expand(cidr.domain, domain);
                    List<String> exchanges = dns.mx(target);
                    if (exchanges.isEmpty()) {
                        countVoid();
                    }
                    if (exchanges.size() > MAX_MX_NAMES) {
                        throw new PermError(target + " has more than " + MAX_MX_NAMES + " MX records");
                    }
                    for (String exchange : exchanges) {
                        if (addressMatches(dns.addresses(exchange, client instanceof Inet6Address), cidr)) {
                            return true;
                        }
                    }
                    return false;
                }
                case "ptr":
                    countDnsTerm();
                    return false;
                case "exists": {
                    countDnsTerm();
                    String target = expand(argument(rest, term, true), domain);
                    List<InetAddress> found = dns.addresses(target, false);
                    if (found.isEmpty()) {
                        countVoid();
                    }
                    return !found.isEmpty();
                }
                case "ip4": {
                    Network network = Network.parse(argument(rest, term, true), false, term);
                    return client instanceof Inet4Address && network.contains(client);
                }
                case "ip6": {
                    Network network = Network.parse(argument(rest, term, true), true, term);
                    return client instanceof Inet6Address && network.contains(client);
                }
                default:
                    throw new PermError("unknown mechanism " + term);
            }
        }

        private boolean anyAddressMatches(String target, Cidr cidr) throws PermError, DnsTemporaryException {
            List<InetAddress> found = dns.addresses(target, client instanceof Inet6Address);
            if (found.isEmpty()) {
                countVoid();
            }
            return addressMatches(found, cidr);
        }

        private boolean addressMatches(List<InetAddress> addresses, Cidr cidr) {
            for (InetAddress address : addresses) {
                int bits = address instanceof Inet6Address ? cidr.v6 : cidr.v4;
                if (new Network(address, bits).contains(client)) {
                    return true;
                }
            }
            return false;
        }

        private void countDnsTerm() throws PermError {
            if (++dnsTerms > MAX_DNS_TERMS) {
                throw new PermError("more than " + MAX_DNS_TERMS + " DNS lookups");
            }
        }

        private void countVoid() throws PermError {
            if (++voidLookups > MAX_VOID_LOOKUPS) {
                throw new PermError("more than " + MAX_VOID_LOOKUPS + " void lookups");
            }
        }

        private String argument(String rest, String term, boolean required) throws PermError {
            if (rest.startsWith(":") && rest.length() > 1) {
                return rest.substring(1);
            }
            if (required) {
                throw new PermError("bad term " + term);
            }
            return null;
        }

        /** Macro expansion (RFC 7208 section 7) of a domain-spec. */
        String expand(String spec, String domain) throws PermError {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < spec.length(); i++) {
                char c = spec.charAt(i);
                if (c != '%') {
                    out.append(c);
                    continue;
                }
                if (++i >= spec.length()) {
                    throw new PermError("bad macro in " + spec);
                }
                char next = spec.charAt(i);
                switch (next) {
                    case '%' -> out.append('%');
                    case '_' -> out.append(' ');
                    case '-' -> out.append("%20");
                    case '{' -> {
                        int close = spec.indexOf('}', i);
                        if (close < 0) {
                            throw new PermError("bad macro in " + spec);
                        }
                        out.append(macro(spec.substring(i + 1, close), domain, spec));
                        i = close;
                    }
                    default -> throw new PermError("bad macro in " + spec);
                }
            }
            String expanded = out.toString();
            while (expanded.length() > 253 && expanded.contains(".")) { // section 7.3: drop labels from the left
                expanded = expanded.substring(expanded.indexOf('.') + 1);
            }
            return expanded.endsWith(".") ? expanded.substring(0, expanded.length() - 1) : expanded;
        }

        private String macro(String body, String domain, String spec) throws PermError {
            if (body.isEmpty()) {
                throw new PermError("bad macro in " + spec);
            }
            char letter = Character.toLowerCase(body.charAt(0));
            boolean escape = Character.isUpperCase(body.charAt(0)); // section 7.3: then URL-escaped
            int at = sender.lastIndexOf('@');
            String value = switch (letter) {
                case 's' -> sender;
                case 'l' -> at <= 0 ? "postmaster" : sender.substring(0, at);
                case 'o' -> at < 0 ? sender : sender.substring(at + 1);
                case 'd' -> domain;
                case 'i' -> client instanceof Inet6Address ? nibbles(client) : client.getHostAddress();
                case 'p' -> "unknown";
                case 'v' -> client instanceof Inet6Address ? "ip6" : "in-addr";
                case 'h' -> helo;
                default -> throw new PermError("unknown macro letter in " + spec);
            };
            String transformers = body.substring(1);
            int n = 0;
            int j = 0;
            while (j < transformers.length() && transformers.charAt(j) >= '0' && transformers.charAt(j) <= '9') {
                n = Math.min(n * 10 + (transformers.charAt(j) - '0'), 1000); // more parts than a name can have
                j++;
            }
            if (j > 0 && n == 0) {
                throw new PermError("a macro keeping zero parts in " + spec); // section 7.3: the DIGIT is nonzero
            }
            boolean reverse = j < transformers.length() && Character.toLowerCase(transformers.charAt(j)) == 'r';
            if (reverse) {
                j++;
            }
            String delimiters = transformers.substring(j);
            if (!delimiters.matches("[.\\-+,/_=]*")) {
                throw new PermError("bad macro delimiters in " + spec);
            }
            String split = delimiters.isEmpty() ? "." : delimiters;
            List<String> parts = new ArrayList<>(List.of(value.split("[" + java.util.regex.Pattern.quote(split) + "]", -1)));
            if (reverse) {
                java.util.Collections.reverse(parts);
            }
            if (n > 0 && n < parts.size()) {
                parts = parts.subList(parts.size() - n, parts.size());
            }
            String joined = String.join(".", parts);
            return escape ? urlEscape(joined) : joined;
        }
    }

    /** Percent-encodes every octet of the UTF-8 form outside RFC 3986's unreserved set (RFC 7208 7.3). */
    static String urlEscape(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0)) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }

    private static String nibbles(InetAddress address) {
        StringBuilder out = new StringBuilder();
        for (byte b : address.getAddress()) {
            if (out.length() > 0) {
                out.append('.');
            }
            out.append(Character.forDigit((b >> 4) & 0xf, 16)).append('.').append(Character.forDigit(b & 0xf, 16));
        }
        return out.toString();
    }

    static boolean validDomain(String domain) {
        if (domain.isEmpty() || domain.length() > 253 || !domain.contains(".")) {
            return false;
        }
        for (String label : domain.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                return false;
            }
        }
        return true;
    }

    /** A qnum (section 5.6): 0 to 255 without leading zeros. */
    private static final String QNUM = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    private static final Pattern IP4 = Pattern.compile(QNUM + "\\." + QNUM + "\\." + QNUM + "\\." + QNUM);

    /** A cidr-length (section 5.6): "0" or digits without a leading zero, at most {@code max}. */
    static int prefixLength(String digits, int max, String term) throws PermError {
        if (!digits.matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(digits) > max) {
            throw new PermError("bad prefix length in " + term);
        }
        return Integer.parseInt(digits);
    }

    /** The optional {@code :domain}, {@code /cidr4} and {@code //cidr6} of a and mx. */
    private record Cidr(String domain, int v4, int v6) {
        static Cidr parse(String rest, String term) throws PermError {
            String domain = null;
            int v4 = 32;
            int v6 = 128;
            String s = rest;
            int slash = s.indexOf('/');
            String lengths = slash < 0 ? "" : s.substring(slash);
            s = slash < 0 ? s : s.substring(0, slash);
            if (!s.isEmpty()) {
                if (!s.startsWith(":") || s.length() == 1) {
                    throw new PermError("bad term " + term);
                }
                domain = s.substring(1);
            }
            if (lengths.startsWith("//")) {
                v6 = prefixLength(lengths.substring(2), 128, term);
            } else if (!lengths.isEmpty()) {
                int v6At = lengths.indexOf("//");
                v4 = prefixLength(v6At < 0 ? lengths.substring(1) : lengths.substring(1, v6At), 32, term);
                if (v6At >= 0) {
                    v6 = prefixLength(lengths.substring(v6At + 2), 128, term);
                }
            }
            return new Cidr(domain, v4, v6);
        }
    }

    /** An address and prefix length, for ip4, ip6 and the prefix forms of a and mx. */
    private record Network(InetAddress base, int bits) {
        static Network parse(String text, boolean ipv6, String term) throws PermError {
            int slash = text.indexOf('/');
            String address = slash < 0 ? text : text.substring(0, slash);
            int max = ipv6 ? 128 : 32;
            int bits = slash < 0 ? max : prefixLength(text.substring(slash + 1), max, term);
            try {
                if (!ipv6) {
                    // ip4-network (section 5.6): four qnums, no leading zeros; built here, never resolved
                    java.util.regex.Matcher m = IP4.matcher(address);
                    if (!m.matches()) {
                        throw new PermError("bad address in " + term);
                    }
                    byte[] bytes = new byte[4];
                    for (int i = 0; i < 4; i++) {
                        bytes[i] = (byte) Integer.parseInt(m.group(i + 1));
                    }
                    return new Network(InetAddress.getByAddress(bytes), bits);
                }
                // ip6-network: hex digits, colons and an embedded IPv4 part; with a colon the JDK parses a literal
                // and never looks it up (a zone such as %eth0 is not SPF syntax)
                if (!address.contains(":") || !address.matches("[0-9A-Fa-f:.]+")) {
                    throw new PermError("bad address in " + term);
                }
                InetAddress base = InetAddress.getByName(address);
                if (base instanceof Inet4Address v4) {
                    // an IPv4-mapped address: valid ip6 syntax, an IPv6 network (the JDK returns it as IPv4)
                    byte[] mapped = new byte[16];
                    mapped[10] = (byte) 0xff;
                    mapped[11] = (byte) 0xff;
                    System.arraycopy(v4.getAddress(), 0, mapped, 12, 4);
                    base = Inet6Address.getByAddress(null, mapped, -1);
                }
                return new Network(base, bits);
            } catch (java.net.UnknownHostException e) {
                throw new PermError("bad address in " + term);
            }
        }

        boolean contains(InetAddress address) {
            byte[] a = base.getAddress();
            byte[] b = address.getAddress();
            if (a.length != b.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != b[i]) {
                    return false;
                }
            }
            int remaining = bits % 8;
            if (remaining == 0) {
                return true;
            }
            int mask = (0xff << (8 - remaining)) & 0xff;
            return (a[full] & mask) == (b[full] & mask);
        }
    }
}
