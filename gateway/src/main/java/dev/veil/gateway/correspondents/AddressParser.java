package dev.veil.gateway.correspondents;

import jakarta.mail.internet.MimeUtility;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an address-list header field (From, Sender, Reply-To, To, Cc: RFC 5322 section 3.4) leniently enough for
 * real mail: groups (also empty ones and an unterminated last one), comments anywhere (nested, with quoted pairs;
 * they are dropped), quoted strings, encoded-word display names (RFC 2047, decoded), raw UTF-8 (RFC 6532), domain
 * literals, obsolete routes ({@code <@a,@b:x@y>}), addresses without a domain ({@code undisclosed}), a lone
 * phrase with no address at all (read as an address without a domain, so it is pseudonymised rather than shown) and
 * {@code ;} between entries outside a group (read as {@code ,}).
 *
 * <p>What it cannot read — an unterminated quote, comment or angle address, a stray {@code >} or {@code )}, an
 * {@code @} without a domain, a nested group, a malformed UTF-8 byte — is a {@link MalformedAddressException}: the
 * caller then does not know which parts are addresses, and must not let the field out.
 */
public final class AddressParser {
    private static final String SPECIALS = "()<>[]:;@\\,.\"";

    private AddressParser() {
    }

    /** One entry of an address list. */
    public sealed interface Item permits Mailbox, Group {
    }

    /**
     * A mailbox.
     *
     * @param displayName the phrase before the angle address, encoded words decoded; empty when there is none
     * @param localPart   as written (quoted if it was), without comments
     * @param domain      as written (U-label, A-label or a domain literal), without comments; empty when none
     */
    public record Mailbox(String displayName, String localPart, String domain) implements Item {
        public String address() {
            return domain.isEmpty() ? localPart : localPart + "@" + domain;
        }
    }

    /** A group: {@code name: member, member;} (members may be empty). */
    public record Group(String name, List<Mailbox> members) implements Item {
        public Group {
            members = List.copyOf(members);
        }
    }

    /** Thrown for a field whose addresses cannot be told apart; the message must not go out with it. */
    public static final class MalformedAddressException extends Exception {
        public MalformedAddressException(String message) {
            super(message);
        }
    }

    /** The items of an unfolded field value (the part after the colon). */
    public static List<Item> parse(String value) throws MalformedAddressException {
        List<Item> items = new Reader(tokenise(value)).list();
        for (Item item : items) {
            List<Mailbox> mailboxes = item instanceof Group g ? g.members() : List.of((Mailbox) item);
            for (Mailbox m : mailboxes) {
                // a display name with undeclared 8-bit bytes is replaced anyway; an address must be exact
                if (m.address().indexOf('\uFFFD') >= 0) {
                    throw new MalformedAddressException("an address is not valid UTF-8 (or holds U+FFFD)");
                }
            }
        }
        return items;
    }

    private enum Kind { WORD, QUOTED, LITERAL, SPECIAL }

    /** A lexical token; {@code space} when whitespace or a comment came before it. */
    private record Token(Kind kind, String text, boolean space) {
        boolean is(char c) {
            return kind == Kind.SPECIAL && text.charAt(0) == c;
        }

        /** The token as it may be written back: quoted strings quoted again. */
        String written() {
            return kind == Kind.QUOTED ? quote(text) : text;
        }
    }

    private static List<Token> tokenise(String s) throws MalformedAddressException {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        boolean space = false;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                space = true;
                i++;
            } else if (c == '(') {
                i = skipComment(s, i);
                space = true;
            } else if (c == '"') {
                StringBuilder text = new StringBuilder();
                i++;
                while (true) {
                    if (i >= s.length()) {
                        throw new MalformedAddressException("a quoted string is not closed");
                    }
                    char q = s.charAt(i++);
                    if (q == '"') {
                        break;
                    }
                    if (q == '\\' && i < s.length()) {
                        q = s.charAt(i++);
                    }
                    text.append(q);
                }
                tokens.add(new Token(Kind.QUOTED, text.toString(), space));
                space = false;
            } else if (c == '[') {
                int end = s.indexOf(']', i);
                if (end < 0) {
                    throw new MalformedAddressException("a domain literal '[' is not closed");
                }
                tokens.add(new Token(Kind.LITERAL, s.substring(i, end + 1), space));
                space = false;
                i = end + 1;
            } else if (c == ')' || c == ']') {
                throw new MalformedAddressException("a stray '" + c + "'");
            } else if (c < 0x20 || c == 0x7f) {
                throw new MalformedAddressException("a control character in the field");
            } else if (SPECIALS.indexOf(c) >= 0 && c != '\\') {
                tokens.add(new Token(Kind.SPECIAL, String.valueOf(c), space));
                space = false;
                i++;
            } else {
                int start = i;
                while (i < s.length()) {
                    char w = s.charAt(i);
                    if (w == ' ' || w == '\t' || w == '\r' || w == '\n' || w < 0x20 || w == 0x7f
                            || (SPECIALS.indexOf(w) >= 0 && w != '\\')) {
                        break;
                    }
                    i++;
                }
                tokens.add(new Token(Kind.WORD, s.substring(start, i), space));
                space = false;
            }
        }
        return tokens;
    }

    private static int skipComment(String s, int i) throws MalformedAddressException {
        int depth = 0;
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (c == '\\') {
                i++;
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                if (--depth == 0) {
                    return i;
                }
            }
        }
        throw new MalformedAddressException("a comment '(' is not closed");
    }

    private static final class Reader {
        private final List<Token> tokens;
        private int pos;

        Reader(List<Token> tokens) {
            this.tokens = tokens;
        }

        List<Item> list() throws MalformedAddressException {
            List<Item> items = new ArrayList<>();
            while (pos < tokens.size()) {
                // a ';' outside a group separates entries like a ',': Outlook users type lists that way and some
                // mailers write them so ("a@x.example; b@y.example"); every address is still found and rewritten
                if (peek().is(',') || peek().is(';')) {
                    pos++;
                    continue;
                }
                Item item = item(true);
                if (item != null) {
                    items.add(item);
                }
                if (pos < tokens.size() && !peek().is(',') && !peek().is(';')) {
                    throw new MalformedAddressException("'" + peek().text() + "' where a ',' or the end was expected");
                }
            }
            return items;
        }

        /** A mailbox or (when allowed) a group; null for an empty entry. */
        private Item item(boolean groupAllowed) throws MalformedAddressException {
            List<Token> phrase = new ArrayList<>();
            while (true) {
                Token t = pos < tokens.size() ? peek() : null;
                if (t != null && t.is(',') && wordsOnly(phrase) && namedAngleFollows()) {
                    // "Zebra, Alice <alice@x>": an unquoted "Last, First" display name, as some mailers write it
                    // (not RFC 5322); read as one mailbox, not a bare local part "Zebra" and Alice (a black-box
                    // probe's protected user's surname became a correspondent of its own)
                    phrase.add(t);
                    pos++;
                    continue;
                }
                if (t == null || t.is(',') || t.is(';')) {
                    return phrase.isEmpty() ? null : new Mailbox("", joined(phrase), "");
                }
                if (t.is('<')) {
                    pos++;
                    return angle(text(phrase));
                }
                if (t.is(':')) {
                    if (!groupAllowed) {
                        throw new MalformedAddressException("a group inside a group");
                    }
                    pos++;
                    return group(text(phrase));
                }
                if (t.is('@') && angleFollows()) {
                    // "bob@partner.example <bob@partner.example>", as some mailers write From: an unquoted
                    // display name with an '@' (not RFC 5322, but unambiguous: the address is in the brackets)
                    phrase.add(t);
                    pos++;
                    continue;
                }
                if (t.is('@')) {
                    // addr-spec: the local part is the run of tokens right before '@' with no space inside, but for
                    // space or a comment beside one of its dots (RFC 5322 obs-local-part: word *("." word), CFWS
                    // around each word): "hans(c).mueller@…" is hans.mueller, not ".mueller" (a black-box probe)
                    int start = phrase.size() - 1;
                    while (start > 0 && (!phrase.get(start).space() || phrase.get(start).is('.')
                            || phrase.get(start - 1).is('.'))) {
                        start--;
                    }
                    if (phrase.isEmpty()) {
                        throw new MalformedAddressException("an '@' without a local part");
                    }
                    List<Token> local = phrase.subList(start, phrase.size());
                    String display = text(phrase.subList(0, start));
                    pos++;
                    return new Mailbox(display, joined(local), domain());
                }
                if (t.is('>')) {
                    throw new MalformedAddressException("a '>' without a '<'");
                }
                phrase.add(t);
                pos++;
            }
        }

        /** Whether the phrase so far is words and quoted strings only (a display name, not an address part). */
        private static boolean wordsOnly(List<Token> phrase) {
            if (phrase.isEmpty()) {
                return false;
            }
            for (Token t : phrase) {
                if (t.kind() != Kind.WORD && t.kind() != Kind.QUOTED && !t.is(',')) {
                    return false;
                }
            }
            return true;
        }

        /** Whether the entry after the ',' at {@code pos} is a display name and an angle address: words, then '<'. */
        private boolean namedAngleFollows() {
            int words = 0;
            for (int i = pos + 1; i < tokens.size(); i++) {
                Token t = tokens.get(i);
                if (t.is('<')) {
                    return words > 0;
                }
                if (t.kind() != Kind.WORD && t.kind() != Kind.QUOTED) {
                    return false;
                }
                words++;
            }
            return false;
        }

        /** Whether a '<' comes before the end of this entry (the next ',' or ';', or the end of the field). */
        private boolean angleFollows() {
            for (int i = pos + 1; i < tokens.size(); i++) {
                Token t = tokens.get(i);
                if (t.is(',') || t.is(';') || t.is(':') || t.is('>')) {
                    return false;
                }
                if (t.is('<')) {
                    return true;
                }
            }
            return false;
        }

        private Group group(String name) throws MalformedAddressException {
            List<Mailbox> members = new ArrayList<>();
            while (pos < tokens.size()) {
                Token t = peek();
                if (t.is(';')) {
                    pos++;
                    break;
                }
                if (t.is(',')) {
                    pos++;
                    continue;
                }
                Item member = item(false);
                if (member != null) {
                    members.add((Mailbox) member);
                }
                if (pos < tokens.size() && !peek().is(',') && !peek().is(';')) {
                    throw new MalformedAddressException("'" + peek().text() + "' in a group where ',' or ';' was expected");
                }
            }
            return new Group(name, members);
        }

        /** After '<': [obs-route ':'] local-part ['@' domain] '>'. */
        private Mailbox angle(String display) throws MalformedAddressException {
            List<Token> inside = new ArrayList<>();
            while (true) {
                if (pos >= tokens.size()) {
                    throw new MalformedAddressException("an angle address '<' is not closed");
                }
                Token t = tokens.get(pos++);
                if (t.is('>')) {
                    break;
                }
                if (t.is('<') || t.is(',') && !routeOpen(inside) || t.is(';')) {
                    throw new MalformedAddressException("'" + t.text() + "' inside an angle address");
                }
                inside.add(t);
            }
            if (!inside.isEmpty() && inside.get(0).is('@')) { // obsolete source route: @a,@b:
                int colon = indexOf(inside, ':');
                if (colon < 0) {
                    throw new MalformedAddressException("a source route without ':'");
                }
                inside = inside.subList(colon + 1, inside.size());
            }
            if (inside.isEmpty()) {
                throw new MalformedAddressException("an empty angle address '<>'");
            }
            int at = -1;
            for (int i = inside.size() - 1; i >= 0; i--) {
                if (inside.get(i).is('@')) {
                    at = i;
                    break;
                }
            }
            if (at == 0 || at == inside.size() - 1) {
                throw new MalformedAddressException("an '@' without a local part or domain");
            }
            return at < 0 ? new Mailbox(display, joined(inside), "")
                    : new Mailbox(display, joined(inside.subList(0, at)), joined(inside.subList(at + 1, inside.size())));
        }

        private static boolean routeOpen(List<Token> inside) {
            return !inside.isEmpty() && inside.get(0).is('@') && indexOf(inside, ':') < 0;
        }

        /** The domain after '@' in an addr-spec: words and dots, or one literal. */
        private String domain() throws MalformedAddressException {
            StringBuilder d = new StringBuilder();
            boolean afterWord = false;
            while (pos < tokens.size()) {
                Token t = peek();
                if (t.is(',') || t.is(';') || t.is('>')) {
                    break;
                }
                if (t.is('.')) {
                    d.append('.');
                    afterWord = false;
                } else if (t.kind() == Kind.WORD || t.kind() == Kind.LITERAL) {
                    if (afterWord && t.space()) {
                        break; // "joe@example.org Joe": the domain ended
                    }
                    d.append(t.text());
                    afterWord = true;
                } else {
                    throw new MalformedAddressException("'" + t.text() + "' in a domain");
                }
                pos++;
            }
            if (d.length() == 0) {
                throw new MalformedAddressException("an '@' without a domain");
            }
            return d.toString();
        }

        private Token peek() {
            return tokens.get(pos);
        }

        private static int indexOf(List<Token> tokens, char c) {
            for (int i = 0; i < tokens.size(); i++) {
                if (tokens.get(i).is(c)) {
                    return i;
                }
            }
            return -1;
        }
    }

    /** Tokens as one address part, without spaces (obsolete "a . b" becomes "a.b"). */
    private static String joined(List<Token> tokens) {
        StringBuilder s = new StringBuilder();
        for (Token t : tokens) {
            s.append(t.written());
        }
        return s.toString();
    }

    /** A phrase as text: words separated by single spaces, quoted strings unquoted, encoded words decoded. */
    private static String text(List<Token> phrase) {
        StringBuilder s = new StringBuilder();
        for (Token t : phrase) {
            if (s.length() > 0 && t.space()) {
                s.append(' ');
            }
            s.append(t.text());
        }
        try {
            return MimeUtility.decodeText(s.toString());
        } catch (Exception e) {
            return s.toString();
        }
    }

    /** A local part or phrase word quoted as RFC 5322 needs it (only when it has specials or spaces). */
    static String quote(String text) {
        boolean plain = !text.isEmpty();
        for (int i = 0; i < text.length() && plain; i++) {
            char c = text.charAt(i);
            plain = c > ' ' && c != 0x7f && SPECIALS.indexOf(c) < 0 || c == '.';
        }
        if (plain && !text.startsWith(".") && !text.endsWith(".") && !text.contains("..")) {
            return text;
        }
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
