package dev.veil.config;

import java.net.IDN;
import java.util.Locale;

/**
 * One compiled recipient or sender pattern. Every form reduces to a (local glob, domain glob) pair, so matching and
 * "does this pattern cover that one" are the same two glob operations; {@link Kind} only tells the rule index which hash
 * table can find the pattern without scanning.
 *
 * <pre>
 * *                  ANY          any address (as a sender also the null sender)
 * &lt;&gt;                 NULL_SENDER  only the null (bounce) sender
 * alice@example.com  ADDRESS      exactly that address
 * example.com        DOMAIN       any address at example.com (not its sub-domains); same as *@example.com
 * *.example.com      SUBDOMAINS   any address at any sub-domain of example.com (not example.com itself)
 * sales-*@example.com, *@mail?.example.org   GLOB
 * </pre>
 */
record AddressPattern(String text, Kind kind, String local, String domain) {

    enum Kind { ANY, NULL_SENDER, ADDRESS, DOMAIN, SUBDOMAINS, GLOB }

    static final AddressPattern ANY_ADDRESS = new AddressPattern("*", Kind.ANY, "*", "*");

    /** Thrown with a message fit for a person; the loader adds the location. */
    static final class Invalid extends IllegalArgumentException {
        Invalid(String message) {
            super(message);
        }
    }

    // Characters an unquoted local part may contain (RFC 5322 atext and '.') besides letters, digits and wildcards.
    private static final String LOCAL_SPECIALS = ".!#$%&'+-/=^_`|~";

    static AddressPattern parse(String text) {
        String t = text.strip();
        if (t.isEmpty()) {
            throw new Invalid("empty address pattern");
        }
        if (t.equals("*")) {
            return new AddressPattern(text, Kind.ANY, "*", "*");
        }
        if (t.equals("<>")) {
            return new AddressPattern(text, Kind.NULL_SENDER, "", "");
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (Character.isWhitespace(c)) {
                throw new Invalid("bad pattern '" + text + "': it contains a space");
            }
            if ("[]{}".indexOf(c) >= 0) {
                throw new Invalid("bad glob '" + text + "': only * and ? are wildcards; [..] and {..} are not supported");
            }
        }
        if (t.contains("**")) {
            throw new Invalid("bad glob '" + text + "': '**' — one '*' already matches any run of characters, dots included");
        }
        int at = t.indexOf('@');
        if (at != t.lastIndexOf('@')) {
            throw new Invalid("bad pattern '" + text + "': more than one '@'");
        }
        String local;
        String domainPart;
        if (at < 0) {
            local = "*";
            domainPart = t;
        } else {
            local = t.substring(0, at);
            domainPart = t.substring(at + 1);
            if (local.isEmpty()) {
                throw new Invalid("bad pattern '" + text + "': nothing before '@' — did you mean '*" + t + "'?");
            }
            if (domainPart.isEmpty()) {
                throw new Invalid("bad pattern '" + text + "': nothing after '@'");
            }
            checkLocal(text, local);
            local = local.toLowerCase(Locale.ROOT);
        }
        String domain = domainGlob(text, domainPart);
        Kind kind;
        if (local.equals("*") && domain.equals("*")) {
            kind = Kind.ANY;
        } else if (local.equals("*") && !Glob.isGlob(domain)) {
            kind = Kind.DOMAIN;
        } else if (local.equals("*") && domain.startsWith("*.") && !Glob.isGlob(domain.substring(2))) {
            kind = Kind.SUBDOMAINS;
        } else if (Glob.isGlob(local) || Glob.isGlob(domain)) {
            kind = Kind.GLOB;
        } else {
            kind = Kind.ADDRESS;
        }
        return new AddressPattern(text, kind, local, domain);
    }

    /** The domain pattern on its own, as in the {@code domains} list: {@code example.com} or {@code *.example.com}. */
    static AddressPattern parseDomain(String text) {
        String t = text.strip();
        if (t.contains("@")) {
            throw new Invalid("'" + text + "' is an address; list domains here, e.g. '" + t.substring(t.lastIndexOf('@') + 1) + "'");
        }
        AddressPattern p = parse(text);
        if (p.kind != Kind.DOMAIN && p.kind != Kind.SUBDOMAINS) {
            throw new Invalid("bad domain '" + text + "': write a domain (example.com) or all its sub-domains (*.example.com)");
        }
        return p;
    }

    private static void checkLocal(String text, String local) {
        for (int i = 0; i < local.length(); i++) {
            char c = local.charAt(i);
            if (!Character.isLetterOrDigit(c) && c != '*' && c != '?' && LOCAL_SPECIALS.indexOf(c) < 0) {
                throw new Invalid("bad pattern '" + text + "': '" + c + "' is not allowed in the part before '@'");
            }
        }
        if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
            throw new Invalid("bad pattern '" + text + "': misplaced '.' before '@'");
        }
    }

    // Each label is converted on its own so wildcard labels can sit next to internationalised ones.
    private static String domainGlob(String text, String domain) {
        if (domain.equals("*")) {
            return "*";
        }
        String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
        if (d.startsWith(".")) {
            throw new Invalid("bad domain in '" + text + "': it starts with '.' — did you mean '*" + d + "'?");
        }
        String[] labels = d.split("\\.", -1);
        StringBuilder out = new StringBuilder();
        for (String label : labels) {
            if (label.isEmpty()) {
                throw new Invalid("bad domain in '" + text + "': empty label (two dots in a row)");
            }
            if (out.length() > 0) {
                out.append('.');
            }
            out.append(label(text, label));
        }
        return out.toString();
    }

    private static String label(String text, String label) {
        if (Glob.isGlob(label)) {
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(c < 0x80 && (Character.isLetterOrDigit(c) || c == '-' || c == '*' || c == '?'))) {
                    throw new Invalid("bad glob '" + text + "': a label with a wildcard may hold only a-z, 0-9 and '-'");
                }
            }
            return label.toLowerCase(Locale.ROOT);
        }
        try {
            String ascii = IDN.toASCII(label, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
            if (ascii.isEmpty() || ascii.length() > 63) {
                throw new IllegalArgumentException();
            }
            return ascii;
        } catch (IllegalArgumentException e) {
            throw new Invalid("bad domain in '" + text + "': '" + label + "' is not a valid domain label");
        }
    }

    /** Matches a normalised address ({@code null} parts mean the null sender). */
    boolean matches(String[] address) {
        if (address == null) {
            return kind == Kind.NULL_SENDER || kind == Kind.ANY;
        }
        return switch (kind) {
            case ANY -> true;
            case NULL_SENDER -> false;
            case ADDRESS -> local.equals(address[0]) && domain.equals(address[1]);
            case DOMAIN -> domain.equals(address[1]);
            default -> Glob.matches(local, address[0]) && Glob.matches(domain, address[1]);
        };
    }

    /** True when everything {@code other} matches, this matches too. */
    boolean covers(AddressPattern other) {
        if (kind == Kind.ANY) {
            return true;
        }
        if (kind == Kind.NULL_SENDER || other.kind == Kind.NULL_SENDER) {
            return kind == other.kind;
        }
        return Glob.covers(local, other.local) && Glob.covers(domain, other.domain);
    }

    /**
     * The pattern of the mailbox every address this one matches is delivered to, when they are all sub-addresses of
     * one mailbox ({@code bob+secret@example.com}, {@code bob+*@example.com}: {@code bob@example.com}); else null. The
     * detail starts at the first {@code +}, which must come before any wildcard.
     */
    AddressPattern mailbox() {
        if (kind != Kind.ADDRESS && kind != Kind.GLOB) {
            return null;
        }
        int wildcard = 0;
        while (wildcard < local.length() && local.charAt(wildcard) != '*' && local.charAt(wildcard) != '?') {
            wildcard++;
        }
        int plus = local.indexOf('+');
        if (plus <= 0 || plus >= wildcard) {
            return null;
        }
        String base = local.substring(0, plus);
        return new AddressPattern(base + "@" + domain, Glob.isGlob(domain) ? Kind.GLOB : Kind.ADDRESS, base, domain);
    }

    /** True when some address could match both (used to find protected domains no rule serves). */
    boolean mayOverlapDomain(String domainGlob) {
        return Glob.covers(domain, domainGlob) || Glob.covers(domainGlob, domain)
                || domainGlob.startsWith("*.") && Glob.matches(domain, "veil-probe" + domainGlob.substring(1));
    }

    /** The normalised form, for explanations: {@code alice@xn--bcher-kva.example}. */
    String normalised() {
        return switch (kind) {
            case ANY -> "*";
            case NULL_SENDER -> "<>";
            default -> text.contains("@") || !local.equals("*") ? local + "@" + domain : domain;
        };
    }
}
