package dev.veil.gateway.correspondents;

import dev.veil.config.Action;
import dev.veil.config.Policy;
import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import dev.veil.crypto.Pseudonymiser;
import jakarta.mail.internet.MimeUtility;
import java.sql.SQLException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Works out the pseudonymised values of a message's correspondent fields: every external address (one not in the
 * policy's protected domains) in From, Sender, Reply-To, To and Cc becomes its alias at the rule's alias domain
 * (registered in the {@link AliasDirectory}) with the rule's display name ({@code {token}} = a 4-character label);
 * protected addresses stay, written back in canonical form; group names become "Group LABEL"; comments go. Every
 * Message-ID in Message-ID, In-Reply-To and References becomes a token under the alias domain (the same id, the same
 * token, so threads hold together); the text around them goes. The envelope sender gets the same treatment as a
 * From address. A To or Cc field that cannot be read becomes {@link #UNREADABLE}; any other that cannot be read
 * stops the message ({@link PseudonymisationException}).
 *
 * <p>Nothing is written here: the values go outside the encryption (or replace the header of a message that is
 * not encrypted) while the real fields stay inside it.
 */
public final class HeaderPseudonymiser {
    /** Fields that only name recipients: one that cannot be read is shown as {@link #UNREADABLE}. */
    static final Set<String> RECIPIENT_FIELDS = Set.of("to", "cc");
    /** What a To or Cc field that cannot be read becomes outside (RFC 5322 3.6.3's empty group). */
    public static final String UNREADABLE = "undisclosed-recipients:;";
    /** Fields whose addresses are pseudonymised (lower case). */
    public static final Set<String> ADDRESS_FIELDS = Set.of("from", "sender", "reply-to", "to", "cc");
    /** Fields whose Message-IDs are tokenised (lower case). */
    public static final Set<String> MESSAGE_ID_FIELDS = Set.of("message-id", "in-reply-to", "references");
    private static final Pattern MSG_ID = Pattern.compile("<([^<>]*)>");

    private final AliasDirectory directory;
    private final Supplier<Pseudonymiser> pseudonymiser;
    private final SentIds sentIds;
    /** Veil's own addresses (lower case) with the names Veil gives them: shown so, Veil is nobody's correspondent. */
    private final Map<String, String> ownAddresses;

    /**
     * Which of some Message-IDs (without angle brackets) the business sent out through Veil: such an id, named in a
     * reply, is shown as it is. Exchange made it, and a token in its place would break the conversation.
     */
    @FunctionalInterface
    public interface SentIds {
        SentIds NONE = ids -> Set.of();

        /** @return those of {@code ids} that were sent (one question for a whole References field) */
        Set<String> sentAmong(Collection<String> ids) throws SQLException;
    }

    /** Every Message-ID becomes a token. */
    public HeaderPseudonymiser(AliasDirectory directory, Supplier<Pseudonymiser> pseudonymiser) {
        this(directory, pseudonymiser, SentIds.NONE);
    }

    public HeaderPseudonymiser(AliasDirectory directory, Supplier<Pseudonymiser> pseudonymiser, SentIds sentIds) {
        this(directory, pseudonymiser, sentIds, Map.of());
    }

    /**
     * @param ownAddresses addresses of Veil itself, to the display name Veil writes with them: the {@code MAILER-DAEMON}
     *                     of its own bounce notices (they go into Exchange through this pipeline; a probe saw their
     *                     sender become an alias and a contact label, as if Veil were a correspondent). Shown with that
     *                     name whatever name a message gives them: anyone can write Veil's address, and the name
     *                     beside it would show outside (a probe's "Bob Smith")
     */
    public HeaderPseudonymiser(AliasDirectory directory, Supplier<Pseudonymiser> pseudonymiser, SentIds sentIds,
                               Map<String, String> ownAddresses) {
        this.directory = directory;
        this.pseudonymiser = pseudonymiser;
        this.sentIds = sentIds;
        Map<String, String> own = new java.util.HashMap<>();
        ownAddresses.forEach((address, name) -> own.put(address.toLowerCase(Locale.ROOT), name));
        this.ownAddresses = Map.copyOf(own);
    }

    /**
     * The pseudonymised header.
     *
     * @param fieldValues    lower-case field name to the new bodies, one per original field of that name, for every
     *                       correspondent and Message-ID field the message has (a field that held nothing to show
     *                       has no entry in its list)
     * @param envelopeSender the envelope sender to relay with: its alias, or unchanged when empty or protected
     * @param aliases        how many external addresses were replaced
     * @param tokenisedIds   the real ids (without angle brackets) of Message-ID, In-Reply-To and References that
     *                       became tokens, in header order
     * @param parties        the correspondents of the message, by alias local part (lower case): every external
     *                       address of its correspondent fields and its envelope sender. They know its ids, so a
     *                       reply to them may name those ids (see {@link CorrespondentRestorer})
     * @param unreadable     the To and Cc fields that could not be read, each with why ("Cc: a quoted string is not
     *                       closed"): shown as {@link #UNREADABLE} (the real field stays inside the encryption)
     */
    public record Result(Map<String, List<String>> fieldValues, String envelopeSender, int aliases,
                         List<String> tokenisedIds, Set<String> parties, List<String> unreadable) {
        public Result {
            unreadable = List.copyOf(unreadable);
            Map<String, List<String>> copy = new LinkedHashMap<>();
            fieldValues.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            fieldValues = java.util.Collections.unmodifiableMap(copy);
            tokenisedIds = List.copyOf(tokenisedIds);
            parties = Set.copyOf(parties);
        }
    }

    /** What one message's pseudonymisation made: how many aliases, of whom, and which ids became tokens. */
    private static final class Tally {
        int count;
        final List<String> ids = new ArrayList<>();
        final Set<String> parties = new java.util.LinkedHashSet<>();
    }

    /** A field or address that cannot be pseudonymised; the message must wait (fail closed). */
    public static final class PseudonymisationException extends Exception {
        public PseudonymisationException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public Result pseudonymise(HeaderBlock header, String envelopeSender, Policy policy, Action.Pseudonymise rule)
            throws PseudonymisationException {
        Pseudonymiser p = pseudonymiser.get();
        Map<String, List<String>> values = new LinkedHashMap<>();
        Tally aliases = new Tally();
        List<String> unreadable = new ArrayList<>();
        for (HeaderField field : header.fields()) {
            String name = field.name().toLowerCase(Locale.ROOT);
            if (ADDRESS_FIELDS.contains(name)) {
                List<String> list = values.computeIfAbsent(name, n -> new ArrayList<>());
                try {
                    String value = addresses(AddressParser.parse(field.value()), policy, rule, p, aliases);
                    if (!value.isEmpty()) {
                        list.add(value);
                    }
                } catch (AddressParser.MalformedAddressException e) {
                    if (!RECIPIENT_FIELDS.contains(name)) {
                        throw new PseudonymisationException("cannot read the " + field.name() + " field: "
                                + e.getMessage() + "; not relaying it with real addresses", e);
                    }
                    // To and Cc route nothing (the envelope does) and say nothing a reply needs: rather than hold the
                    // message back for ever over a field no retry will read, it shows that its recipients are not
                    // disclosed. An unreadable From, Sender or Reply-To still holds it: a reply would go astray
                    if (!list.contains(UNREADABLE)) {
                        list.add(UNREADABLE);
                    }
                    unreadable.add(field.name() + ": " + e.getMessage());
                }
            } else if (MESSAGE_ID_FIELDS.contains(name)) {
                List<String> list = values.computeIfAbsent(name, n -> new ArrayList<>());
                String value;
                try {
                    // only references can name a sent message; the message's own id is looked up nowhere (one
                    // database read less per message)
                    value = messageIds(field.value(), rule.aliasDomain(), p,
                            name.equals("message-id") ? SentIds.NONE : sentIds, aliases.ids);
                } catch (SQLException e) {
                    throw new PseudonymisationException("the sent Message-IDs cannot be read: " + e.getMessage(), e);
                }
                if (!value.isEmpty()) {
                    list.add(value);
                }
            } else if (name.equals("date")) {
                // the date shows outside the encryption: a comment in it ("(from carol at ext.example)"), or any
                // other text beside the date-time, could name a correspondent; an unreadable date is left out
                List<String> list = values.computeIfAbsent(name, n -> new ArrayList<>());
                ShownDate.of(field.value()).ifPresent(list::add);
            }
        }
        String sender = envelopeSender(envelopeSender, policy, rule, p, aliases);
        return new Result(values, sender, aliases.count, aliases.ids, aliases.parties, unreadable);
    }

    private String envelopeSender(String sender, Policy policy, Action.Pseudonymise rule, Pseudonymiser p, Tally aliases)
            throws PseudonymisationException {
        String s = sender == null ? "" : sender.strip();
        if (s.startsWith("<") && s.endsWith(">")) {
            s = s.substring(1, s.length() - 1);
        }
        if (s.isEmpty()) {
            return "";
        }
        int at = s.lastIndexOf('@');
        String local = at < 0 ? s : s.substring(0, at);
        String domain = at < 0 ? "" : s.substring(at + 1);
        if (!domain.isEmpty() && policy.protects(domain) && plainLocalPart(local)) {
            return sender;
        }
        try {
            aliases.count++;
            return register(AliasDirectory.canonical(local, domain), rule.aliasDomain(), aliases);
        } catch (AddressParser.MalformedAddressException e) {
            throw new PseudonymisationException("cannot read the envelope sender: " + e.getMessage(), e);
        }
    }

    private String addresses(List<AddressParser.Item> items, Policy policy, Action.Pseudonymise rule, Pseudonymiser p,
                             Tally aliases) throws AddressParser.MalformedAddressException, PseudonymisationException {
        List<String> out = new ArrayList<>();
        for (AddressParser.Item item : items) {
            if (item instanceof AddressParser.Mailbox m) {
                out.add(mailbox(m, policy, rule, p, aliases));
            } else if (item instanceof AddressParser.Group g) {
                List<String> members = new ArrayList<>();
                for (AddressParser.Mailbox m : g.members()) {
                    members.add(mailbox(m, policy, rule, p, aliases));
                }
                String name = g.name().isBlank() ? "undisclosed-recipients" : "Group " + groupLabel(p, g.name());
                out.add(name + ":" + (members.isEmpty() ? "" : " " + String.join(", ", members)) + ";");
            }
        }
        return String.join(", ", out);
    }

    /**
     * The label of a group's name. Keyed apart from the labels of addresses: a group named {@code bob@partner.example}
     * would otherwise get bob's label, and tie the two together in Exchange.
     */
    public static String groupLabel(Pseudonymiser p, String groupName) {
        return p.label("group:" + groupName);
    }

    private String mailbox(AddressParser.Mailbox m, Policy policy, Action.Pseudonymise rule, Pseudonymiser p,
                           Tally aliases) throws AddressParser.MalformedAddressException, PseudonymisationException {
        String ownName = ownAddresses.isEmpty() ? null
                : ownAddresses.get((m.localPart() + "@" + m.domain()).toLowerCase(Locale.ROOT));
        if (ownName != null && plainLocalPart(m.localPart()) && m.localPart().chars().allMatch(c -> c < 0x80)) {
            String address = m.localPart() + "@" + AliasDirectory.canonicalDomain(m.domain());
            return ownName.isBlank() ? address : phrase(ownName) + " <" + address + ">";
        }
        // a protected address with a non-ASCII local part cannot be written in a header that travels without SMTPUTF8:
        // it goes outside as an alias, like a correspondent's (the real one stays inside), rather than holding the
        // whole message back
        if (!m.domain().isEmpty() && policy.protects(m.domain()) && plainLocalPart(m.localPart())
                && m.localPart().chars().allMatch(c -> c < 0x80)) {
            String address = m.localPart() + "@" + AliasDirectory.canonicalDomain(m.domain());
            return mayShowName(m.displayName()) ? phrase(m.displayName()) + " <" + address + ">" : address;
        }
        String canonical = AliasDirectory.canonical(m.localPart(), m.domain());
        aliases.count++;
        String alias = register(canonical, rule.aliasDomain(), aliases);
        String display = rule.displayName().replace("{token}", p.label(canonical));
        return display.isBlank() ? alias : phrase(display) + " <" + alias + ">";
    }

    /**
     * Whether a protected user's display name may stay outside the encryption. A name holding an address (a forward's
     * {@code "carol@ext.example" <bob@example.com>}) would show a correspondent, so it is left out: an {@code @} also
     * in a compatibility form (fullwidth U+FF20, small U+FE6B: NFKC makes them {@code @}), and a name that still holds
     * an encoded word, one Veil could not decode (base64 without its padding, a broken {@code =XX}, an unknown
     * charset), which a lenient mail program may still decode into an address.
     */
    static boolean mayShowName(String displayName) {
        return !displayName.isBlank() && !displayName.contains("=?")
                && Normalizer.normalize(displayName, Normalizer.Form.NFKC).indexOf('@') < 0;
    }

    /**
     * Whether the local part of a protected address may be shown as it is: not when it is quoted or holds an
     * {@code @}, {@code %} or {@code !} — {@code "bob@ext.example"@example.com}, {@code bob%ext.example@example.com}
     * name a correspondent in the protected domain's local part — nor when it is an SRS address. Such an address
     * is not a protected user's mailbox and is pseudonymised like an external one.
     */
    static boolean plainLocalPart(String localPart) {
        return localPart.chars().noneMatch(c -> c == '"' || c == '\\' || c == '@' || c == '%' || c == '!')
                && !SRS.matcher(localPart).lookingAt();
    }

    /**
     * A Sender Rewriting Scheme address ({@code SRS0=HHH=TT=partner.example=bob@example.com}), which a forwarder in a
     * protected domain makes of an external sender's address: its local part names the correspondent.
     */
    private static final Pattern SRS = Pattern.compile("srs[01][=+-]", Pattern.CASE_INSENSITIVE);

    private String register(String canonical, String aliasDomain, Tally tally) throws PseudonymisationException {
        if (canonical.toLowerCase(Locale.ROOT).endsWith("@" + aliasDomain.toLowerCase(Locale.ROOT))) {
            // already an address at the alias domain, which names nobody: an alias of it would only stand for it (a
            // probe's mail loop registered an alias of the previous alias on every pass)
            tally.parties.add(canonical.substring(0, canonical.lastIndexOf('@')).toLowerCase(Locale.ROOT));
            return canonical;
        }
        try {
            String alias = directory.register(canonical, aliasDomain);
            tally.parties.add(alias.substring(0, alias.lastIndexOf('@')).toLowerCase(Locale.ROOT));
            return alias;
        } catch (AliasCollisionException e) {
            throw new PseudonymisationException(e.getMessage(), e);
        } catch (SQLException e) {
            throw new PseudonymisationException("the alias directory cannot be written: " + e.getMessage(), e);
        }
    }

    /**
     * Every id of a msg-id list as a token, but an id the business sent, which stays as it is; comments and obsolete
     * phrases around them are left out.
     */
    static String messageIds(String value, String aliasDomain, Pseudonymiser p, SentIds sent) throws SQLException {
        return messageIds(value, aliasDomain, p, sent, new ArrayList<>());
    }

    /** @param tokenised where the ids that became tokens are added */
    static String messageIds(String value, String aliasDomain, Pseudonymiser p, SentIds sent,
                             Collection<String> tokenised) throws SQLException {
        List<String> ids = new ArrayList<>();
        Matcher m = MSG_ID.matcher(value);
        while (m.find()) {
            ids.add(m.group(1).strip());
        }
        if (ids.isEmpty()) { // no angle brackets (seen in the wild): every word may be an id
            for (String word : value.strip().split("\\s+")) {
                ids.add(word);
            }
        }
        ids.removeIf(String::isEmpty);
        Set<String> sentIds = ids.isEmpty() ? Set.of() : sent.sentAmong(ids);
        List<String> tokens = new ArrayList<>();
        for (String id : ids) {
            if (sentIds.contains(id)) {
                tokens.add("<" + id + ">");
            } else {
                String token = p.messageId(id, aliasDomain);
                if (token.length() > MAX_TOKEN) {
                    // a msg-id cannot be folded, and a token is about 1.6 times its id: an id of some 600 characters
                    // would make a line no SMTP server need take (RFC 5322 2.1.1; a probe's were 1,026 octets). Such
                    // an id is left out of what Exchange sees (it gives a message without one an id of its own); the
                    // real one stays inside the encryption
                    continue;
                }
                tokens.add(token);
                tokenised.add(id);
            }
        }
        return String.join(" ", tokens);
    }

    /** The longest token that fits a line after {@code In-Reply-To: } or a continuation's space within 998 octets. */
    public static final int MAX_TOKEN = 998 - "In-Reply-To: ".length();

    /** A display name as a header phrase: printable ASCII quoted as needed, anything else as an RFC 2047 word. */
    static String phrase(String text) {
        // controls become spaces, and a run of spaces one (a loop: a regular expression here was compiled per message)
        StringBuilder clean = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            char shown = c < ' ' || c == 0x7f ? ' ' : c;
            if (shown != ' ' || clean.length() == 0 || clean.charAt(clean.length() - 1) != ' ') {
                clean.append(shown);
            }
        }
        String t = clean.toString().strip();
        if (t.chars().allMatch(c -> c < 0x80)) {
            boolean atoms = t.chars().allMatch(c -> c == ' ' || Character.isLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0);
            return atoms ? t : "\"" + t.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        try {
            return MimeUtility.encodeWord(t, "UTF-8", "B").replace("\r\n", "").replace("\n", "");
        } catch (java.io.UnsupportedEncodingException e) {
            throw new IllegalStateException("UTF-8 is always supported", e);
        }
    }
}
