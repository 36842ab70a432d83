package dev.veil.gateway.correspondents;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayOutputStream;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns aliases in a message's header back into the real correspondents, for mail leaving the business: alias
 * addresses in From, Sender, Reply-To, To and Cc, and tokenised Message-ID, In-Reply-To and References. Bcc and
 * Resent-Bcc fields are removed.
 *
 * <p>Only the alias itself is replaced, in the raw bytes: display names, comments, group syntax, encoded words,
 * folding, other fields and even malformed fields stay byte for byte as they were, because nothing is parsed
 * into a model and written back. The one exception is a display name that is a label Veil gave the correspondent
 * ({@link Reidentifier#isLabel}) right before a restored angle address: it names nobody, and goes. An alias the
 * {@link Reidentifier} does not know is left as it is (it names nobody); a Reidentifier that fails, or answers
 * something that is not an address or message id, stops the whole restoration ({@link RestorationException}) so the
 * message is never sent half-restored.
 *
 * <p>Restoring shows real addresses to whoever receives the message, and whoever submits on the outbound port
 * (Exchange, or anyone in its networks) chooses the recipients. So an alias is restored only to an address the
 * message goes to (an envelope recipient), and a tokenised id only when the message goes to a correspondent who took
 * part in the message the id names (sent it, got it, or named it: {@link IdParties}). Otherwise a message to oneself,
 * or to any correspondent (anyone becomes one by writing to the business), holding any aliases and tokens would read
 * back the real people and ids behind them. A reply names its correspondents and goes to them, so it is restored
 * whole; an alias left (a recipient Exchange sent in another transaction, an alias in From) names nobody real.
 */
public final class CorrespondentRestorer {
    static final Set<String> ADDRESS_FIELDS = Set.of("from", "sender", "reply-to", "to", "cc");
    static final Set<String> MESSAGE_ID_FIELDS = Set.of("message-id", "in-reply-to", "references");
    /**
     * Removed from mail leaving the business (RFC 5322 3.6.3, its first way): the blind copies' addresses (aliases,
     * some of them) are for the sender only, and Exchange removes these fields from what it sends itself.
     */
    static final Set<String> BLIND_COPY_FIELDS = Set.of("bcc", "resent-bcc");

    /**
     * An addr-spec as it can appear anywhere in an address field (bare, in angle brackets, in a group, even inside
     * a quoted display name), over the ISO-8859-1 view of the bytes so that UTF-8 (RFC 6532) passes through: local
     * part characters ({@link #LOCAL}), {@code @}, and dot-separated labels ({@link #LABEL}). Found by a scan that
     * looks at each octet a bounded number of times ({@link #findAddress}): the regular expression it replaces
     * backtracked over every start in a long run of local-part characters, and a body's 400 KB {@code data:} image
     * after an {@code @} took a worker 21 minutes (a black-box probe).
     */
    private static final Finder ADDRESS = CorrespondentRestorer::findAddress;
    private static final boolean[] LOCAL = new boolean[256];
    private static final boolean[] LABEL = new boolean[256];
    /**
     * The same in ASCII only, for text: an alias is ASCII, and the octets of a UTF-8 character glued to it (Outlook's
     * curly apostrophes, a no-break space, guillemets) would otherwise be taken for part of it (a probe's stayed).
     */
    private static final boolean[] ASCII_LOCAL = new boolean[256];
    private static final boolean[] ASCII_LABEL = new boolean[256];
    private static final Finder TEXT_ADDRESS = (text, from) -> findAddress(text, from, ASCII_LOCAL, ASCII_LABEL);

    static {
        for (int c = 0; c < 256; c++) {
            boolean alnum = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9';
            ASCII_LABEL[c] = alnum || c == '-';
            ASCII_LOCAL[c] = alnum || "!#$%&'*+/=?^_`{|}~.-".indexOf(c) >= 0;
            LABEL[c] = ASCII_LABEL[c] || c >= 0x80;
            LOCAL[c] = ASCII_LOCAL[c] || c >= 0x80;
        }
    }

    private static final Pattern MESSAGE_ID_PATTERN = Pattern.compile("<[^<>\\s]+>");
    private static final Finder MESSAGE_ID = (text, from) -> {
        Matcher m = MESSAGE_ID_PATTERN.matcher(text);
        return m.find(from) ? new int[] {m.start(), m.end()} : null;
    };

    /** Where the next token starts and ends in a text, from a position on; null when there is none. */
    private interface Finder {
        int[] find(String text, int from);
    }

    /**
     * The next addr-spec at or after {@code from}: the first {@code @} with local-part characters right before it and
     * a label right after it; the local part runs back to where such characters begin (not before {@code from}), the
     * domain on over every further {@code .label}. The same matches as {@code [LOCAL]+@[LABEL]+(\\.[LABEL]+)*}, in
     * time linear in the text: a look back stops at the previous {@code @}, which is no local-part character.
     */
    static int[] findAddress(String text, int from) {
        return findAddress(text, from, LOCAL, LABEL);
    }

    private static int[] findAddress(String text, int from, boolean[] local, boolean[] label) {
        int length = text.length();
        for (int at = text.indexOf('@', from); at >= 0; at = text.indexOf('@', at + 1)) {
            int start = at;
            while (start > from && is(local, text.charAt(start - 1))) {
                start--;
            }
            if (start == at || at + 1 >= length || !is(label, text.charAt(at + 1))) {
                continue;
            }
            int end = at + 1;
            while (end < length && is(label, text.charAt(end))) {
                end++;
            }
            while (end + 1 < length && text.charAt(end) == '.' && is(label, text.charAt(end + 1))) {
                end += 2;
                while (end < length && is(label, text.charAt(end))) {
                    end++;
                }
            }
            return new int[] {start, end};
        }
        return null;
    }

    private static boolean is(boolean[] table, char c) {
        return c < 256 && table[c];
    }
    /** What a real address must look like before it goes into a header or an envelope. */
    private static final Pattern SAFE_ADDRESS = Pattern.compile("[^\\s<>()\\[\\],;:\"\\\\@]+@[^\\s<>()\\[\\],;:\"\\\\@]+");
    private static final Pattern SAFE_MESSAGE_ID = Pattern.compile("<[\\x21-\\x3B\\x3D\\x3F-\\x7E]+>");

    private final Reidentifier reidentifier;
    private final IdParties idParties;

    /**
     * Who knows the real id behind a token: the correspondents that took part in the message it names, recorded when
     * that message came in ({@link dev.veil.gateway.db.MessageIdPartyDao}).
     */
    @FunctionalInterface
    public interface IdParties {
        /** Knows nobody: with recipients given, no token is restored. */
        IdParties NOBODY = (id, parties) -> false;

        /**
         * @param id      the real id, without angle brackets
         * @param parties correspondents by alias local part
         */
        boolean knownToAny(String id, Collection<String> parties) throws Exception;
    }

    /** Restores aliases; tokens only where recipients are not given ({@link #restore(HeaderBlock)}). */
    public CorrespondentRestorer(Reidentifier reidentifier) {
        this(reidentifier, IdParties.NOBODY);
    }

    public CorrespondentRestorer(Reidentifier reidentifier, IdParties idParties) {
        this.reidentifier = reidentifier;
        this.idParties = idParties;
    }

    /**
     * What restoring did.
     *
     * @param header     the replacement for {@link HeaderBlock#consumed()} (the same bytes when nothing changed)
     * @param addresses  alias addresses replaced by real ones
     * @param messageIds tokenised ids replaced by real ones
     * @param unresolved alias addresses left as they were (the Reidentifier does not know them)
     * @param withheld   aliases and tokens left as they were because the message does not go to whom they stand for
     * @param blindCopyFields Bcc and Resent-Bcc fields removed
     */
    public record Restored(byte[] header, int addresses, int messageIds, int unresolved, int withheld,
                           int blindCopyFields) {
        public boolean changed() {
            return addresses + messageIds + blindCopyFields > 0;
        }
    }

    /** Restores every alias and token, as for a message that goes to everyone it names (tests, tools). */
    public Restored restore(HeaderBlock block) throws RestorationException {
        return restore(block, (Supplier<Collection<String>>) null);
    }

    /**
     * @param recipients the envelope's recipients (real addresses): aliases of others stay, and tokens stay unless
     *                   one of them is a correspondent; null: every alias and token is restored
     */
    public Restored restore(HeaderBlock block, Collection<String> recipients) throws RestorationException {
        return restore(block, recipients == null ? null : () -> recipients);
    }

    /**
     * @param recipients gives the envelope's recipients, asked at most once and only when an alias resolves or a token
     *                   is found (most outbound mail holds neither, and reading them can cost a file read); null:
     *                   every alias and token is restored
     */
    public Restored restore(HeaderBlock block, Supplier<Collection<String>> recipients) throws RestorationException {
        return restore(block, recipients, ADDRESS_FIELDS, MESSAGE_ID_FIELDS);
    }

    /**
     * The fields of a report's machine-readable part (RFC 6522: a read receipt's {@code message/disposition-notification},
     * a bounce's {@code message/delivery-status} group, the original's {@code text/rfc822-headers}): as a header, with
     * {@code Original-Recipient} and {@code Final-Recipient} ({@code rfc822;ADDRESS}) among the address fields and
     * {@code Original-Message-ID} among the ids, and under the same rules.
     */
    public Restored restoreReportFields(HeaderBlock block, Supplier<Collection<String>> recipients)
            throws RestorationException {
        return restore(block, recipients, REPORT_ADDRESS_FIELDS, REPORT_MESSAGE_ID_FIELDS);
    }

    /**
     * With {@code Diagnostic-Code}: a server's reply can quote the sender or the header it refused (a probe's Exchange
     * stand-in answered "rejected MAIL FROM:&lt;c-…&gt;", and Veil's notice took the alias to the correspondent).
     */
    static final Set<String> REPORT_ADDRESS_FIELDS = Set.of("from", "sender", "reply-to", "to", "cc",
            "original-recipient", "final-recipient", "diagnostic-code");
    static final Set<String> REPORT_MESSAGE_ID_FIELDS = Set.of("message-id", "in-reply-to", "references",
            "original-message-id");

    /**
     * What restoring a text did.
     *
     * @param text       the restored octets ({@code text} itself when nothing changed)
     * @param addresses  alias addresses replaced by real ones
     * @param unresolved alias addresses left as they were (unknown, or a real address not in ASCII)
     * @param withheld   aliases left as they were because the message does not go to whom they stand for
     */
    public record RestoredText(byte[] text, int addresses, int unresolved, int withheld) {
    }

    /**
     * The alias addresses in a text a person reads (a body part, decoded) restored under the header's rules: only to
     * an address the message goes to. Outlook quotes the message replied to ("From: Correspondent 7QF2
     * &lt;c-…@alias&gt;"), so a reply showed the correspondent their own alias (a black-box probe). Labels stay, and
     * Message-ID tokens (text names none that a mail program reads). A real address that is not ASCII stays an alias:
     * the text's charset is not known here.
     *
     * @param text       octets in an ASCII-compatible charset
     * @param recipients as for {@link #restore(HeaderBlock, Supplier)}
     */
    public RestoredText restoreText(byte[] text, Supplier<Collection<String>> recipients) throws RestorationException {
        return restoreText(text, recipients, false);
    }

    /**
     * As {@link #restoreText(byte[], Supplier)}; in HTML ({@code html}) a real address is written as HTML text:
     * {@code o'brien@…} in {@code href='mailto:c-…@alias'} ended the attribute at its apostrophe (a black-box probe),
     * so {@code '} and {@code &}, which a local part may hold, become character references, which read the same in
     * text and in attributes of either quote.
     */
    public RestoredText restoreText(byte[] text, Supplier<Collection<String>> recipients, boolean html)
            throws RestorationException {
        if (indexOf(text, AT, 0) < 0) {
            return new RestoredText(text, 0, 0, 0);
        }
        int[] counts = new int[4];
        Lookup toRecipients = addressLookup(lowerCased(recipients), counts);
        Lookup lookup = (field, token) -> {
            Optional<String> real = toRecipients.find(field, token);
            if (real != null && real.isEmpty()) {
                // text glued to the alias by characters a local part may hold: a link's "?u=c-…@alias" or "/c-…@alias"
                int cut = lastSeparator(token);
                if (cut >= 0) {
                    Optional<String> inner = toRecipients.find(field, token.substring(cut + 1));
                    if (inner != null && inner.isPresent()) {
                        real = Optional.of(token.substring(0, cut + 1) + (html ? htmlText(inner.get()) : inner.get()));
                    }
                }
            } else if (html && real != null && real.isPresent()) {
                real = Optional.of(htmlText(real.get()));
            }
            if (real != null && real.isPresent() && !real.get().chars().allMatch(c -> c < 0x80)) {
                return Optional.empty();
            }
            return real;
        };
        byte[] again = rewrite("the body", text, TEXT_ADDRESS, lookup, counts, 0, null, false);
        return new RestoredText(again, counts[0], counts[2], counts[3]);
    }

    /**
     * A restored address as HTML text: the two characters of a local part that HTML reads otherwise, as references.
     * Apostrophes before it are the text's own (Outlook's quotes around a typed address, kept with the token) and stay
     * as written, like the closing one after it (a probe saw {@code &#39;hans@…'}).
     */
    static String htmlText(String replacement) {
        int quotes = 0;
        while (quotes < replacement.length() && replacement.charAt(quotes) == '\'') {
            quotes++;
        }
        String address = replacement.substring(quotes);
        return address.indexOf('&') < 0 && address.indexOf('\'') < 0 ? replacement
                : replacement.substring(0, quotes) + address.replace("&", "&amp;").replace("'", "&#39;");
    }

    /** The recipients in lower case, worked out once; null for null (every alias restored). */
    private static Once<Set<String>> lowerCased(Supplier<Collection<String>> recipients) {
        return recipients == null ? null : new Once<>(() -> recipients.get().stream()
                .map(r -> r.toLowerCase(Locale.ROOT)).collect(Collectors.toSet()));
    }

    /**
     * Aliases to real addresses, only those of recipients (counted in {@code counts[3]} when withheld).
     *
     * @param to the recipients; null: every alias
     */
    private Lookup addressLookup(Once<Set<String>> to, int[] counts) {
        return (field, token) -> {
            Optional<String> real = address(field, token);
            if (real == null || real.isEmpty() || to == null) {
                return real;
            }
            // Outlook's apostrophes around a typed address stay in the replacement, but are no part of the recipient
            String address = stripTrailingDots(real.get());
            while (address.startsWith("'")) {
                address = address.substring(1);
            }
            if (!to.get().contains(address.toLowerCase(Locale.ROOT))) {
                counts[3]++;
                return null;
            }
            return real;
        };
    }

    /**
     * Where, in a token's local part, the last character stands that no alias holds (one of {@code =/?&#+%!'}...):
     * -1 when there is none.
     */
    private static int lastSeparator(String token) {
        int at = token.lastIndexOf('@');
        for (int i = at - 1; i >= 0; i--) {
            char c = token.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                    || c == '_')) {
                return i;
            }
        }
        return -1;
    }

    private static final byte[] AT = {'@'};

    private Restored restore(HeaderBlock block, Supplier<Collection<String>> recipients, Set<String> addressFields,
                             Set<String> idFields) throws RestorationException {
        Once<Set<String>> to = lowerCased(recipients);
        byte[] consumed = block.consumed();
        int[] counts = new int[4];
        Lookup address = addressLookup(to, counts);
        Map<HeaderField, byte[]> rewritten = new IdentityHashMap<>();
        int blindCopyFields = 0;
        for (HeaderField field : block.fields()) {
            String name = field.name().toLowerCase(Locale.ROOT);
            if (addressFields.contains(name)) {
                rewritten.put(field, rewrite(field.name(), field.raw(), ADDRESS, address, counts, 0, this::isLabel,
                        true));
            } else if (BLIND_COPY_FIELDS.contains(name)) {
                rewritten.put(field, new byte[0]);
                blindCopyFields++;
            }
        }
        // the recipients' party keys are worked out only once a token is found
        Once<Set<String>> parties = new Once<>(() -> partiesAmong(to.get()));
        Lookup messageId = (field, token) -> {
            Optional<String> real = messageId(field, token);
            if (real == null || real.isEmpty() || to == null) {
                return real;
            }
            if (!knownToAny(real.get(), parties.get())) {
                counts[3]++;
                return null;
            }
            return real;
        };
        for (HeaderField field : block.fields()) {
            if (idFields.contains(field.name().toLowerCase(Locale.ROOT))) {
                rewritten.put(field, rewrite(field.name(), field.raw(), MESSAGE_ID, messageId, counts, 1, null,
                        true));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(consumed.length + 256);
        int position = 0;
        for (HeaderField field : block.fields()) {
            byte[] raw = field.raw();
            int at = indexOf(consumed, raw, position);
            if (at < 0) {
                // cannot happen for a block read from these bytes; refuse rather than guess
                throw new RestorationException("the " + field.name() + " field could not be located in the header");
            }
            out.write(consumed, position, at - position);
            out.writeBytes(rewritten.getOrDefault(field, raw));
            position = at + raw.length;
        }
        out.write(consumed, position, consumed.length - position);
        return new Restored(out.toByteArray(), counts[0], counts[1], counts[2], counts[3], blindCopyFields);
    }

    /** The recipients that are correspondents, by party key (a Bcc'd one too: the header need not name them). */
    private Set<String> partiesAmong(Set<String> recipients) throws RestorationException {
        try {
            Set<String> out = new HashSet<>();
            for (String recipient : recipients) {
                reidentifier.partyOf(recipient).ifPresent(out::add);
            }
            return out;
        } catch (RuntimeException e) {
            throw new RestorationException("cannot tell whether a recipient is a correspondent: " + e.getMessage(), e);
        }
    }

    /** Whether a recipient took part in the message {@code realId} (with angle brackets) names. */
    private boolean knownToAny(String realId, Set<String> parties) throws RestorationException {
        if (parties.isEmpty()) {
            return false;
        }
        try {
            return idParties.knownToAny(realId.substring(1, realId.length() - 1), parties);
        } catch (Exception e) {
            throw new RestorationException("cannot tell who knows a message id: " + e.getMessage(), e);
        }
    }

    /** A value worked out at its first use, and only then (its source may fail, or cost a database query). */
    private static final class Once<T> {
        private final Source<T> source;
        private T value;

        Once(Source<T> source) {
            this.source = source;
        }

        T get() throws RestorationException {
            if (value == null) {
                value = source.get();
            }
            return value;
        }
    }

    private interface Source<T> {
        T get() throws RestorationException;
    }

    private interface Lookup {
        /** The replacement for a token, empty to leave it; null when it is not ours at all. */
        Optional<String> find(String field, String token) throws RestorationException;
    }

    /**
     * @param label tells a display name Veil gave correspondents (dropped in front of a restored address); null: none
     * @param field whether {@code raw} is a header field (its name, up to the colon, is never rewritten)
     */
    private static byte[] rewrite(String fieldName, byte[] raw, Finder finder, Lookup lookup, int[] counts, int kind,
                                  Predicate<String> label, boolean field) throws RestorationException {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int colon = field ? text.indexOf(':') : -1;
        StringBuilder result = null; // made at the first replacement: most texts have none
        int copied = 0; // text before this is in result
        int last = 0;
        for (int[] match = finder.find(text, 0); match != null; match = finder.find(text, last)) {
            if (match[0] <= colon) {
                last = Math.max(colon + 1, match[0] + 1);
                continue;
            }
            last = match[1];
            String token = new String(text.substring(match[0], match[1]).getBytes(StandardCharsets.ISO_8859_1),
                    StandardCharsets.UTF_8);
            Optional<String> real = lookup.find(fieldName, token);
            if (real == null) {
                continue;
            }
            if (real.isEmpty()) {
                counts[2]++;
                continue;
            }
            if (result == null) {
                result = new StringBuilder(text.length() + 64);
            }
            result.append(text, copied, match[0]);
            if (label != null) {
                dropLabelBefore(result, label);
            }
            result.append(new String(real.get().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
            copied = match[1];
            counts[kind]++;
        }
        if (result == null) {
            return raw;
        }
        result.append(text, copied, text.length());
        // a real address can be longer than its alias: a long list on one line could pass 998 octets
        String written = field ? HeaderField.withLinesWithinLimit(result.toString()) : result.toString();
        return written.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Drops the display name in front of the angle address {@code written} ends in ({@code Correspondent JEZU <}) when
     * it is a label Veil gave the correspondent: the real person would read it with their own address. Anything else
     * there (a name the user typed, a comment, a quoted string holding a comma) stays as it is.
     */
    private static void dropLabelBefore(StringBuilder written, Predicate<String> label) {
        int angle = written.length() - 1;
        if (angle < 0 || written.charAt(angle) != '<') {
            return;
        }
        // the entry starts after the last ',', ':', ';' or '>' outside quotes and comments ("Smith, Contact 7QF2")
        int start = 0;
        boolean quoted = false;
        int comment = 0;
        for (int i = 0; i < angle; i++) {
            char c = written.charAt(i);
            if (c == '\\') {
                i++;
            } else if (quoted) {
                quoted = c != '"';
            } else if (c == '"' && comment == 0) {
                quoted = true;
            } else if (c == '(') {
                comment++;
            } else if (c == ')' && comment > 0) {
                comment--;
            } else if (comment == 0 && ",:;>".indexOf(c) >= 0) {
                start = i + 1;
            }
        }
        if (quoted || comment > 0) {
            return; // the '<' is inside a quoted string or comment: not an angle address
        }
        while (start < angle && isWhitespace(written.charAt(start))) {
            start++;
        }
        String phrase = displayed(written.substring(start, angle));
        if (!phrase.isEmpty() && label.test(phrase)) {
            written.delete(start, angle);
        }
    }

    /**
     * A phrase as a mail program shows it: unfolded, encoded words decoded, quotes and quoting backslashes gone,
     * whitespace runs as one space ({@code =?UTF-8?Q?Correspondent_7QF2?=} and {@code Correspondent "7QF2"} show as
     * {@code Correspondent 7QF2}). Comments stay, so a phrase with one is never taken for a label.
     */
    static String displayed(String raw) {
        String phrase = raw.replaceAll("[\\r\\n]+", "");
        StringBuilder out = new StringBuilder(phrase.length());
        for (int i = 0; i < phrase.length(); i++) {
            char c = phrase.charAt(i);
            if (c == '\\' && i + 1 < phrase.length()) {
                out.append(phrase.charAt(++i));
            } else if (c != '"') {
                out.append(c);
            }
        }
        String text = out.toString();
        if (text.contains("=?")) {
            try {
                text = MimeUtility.decodeText(text);
            } catch (UnsupportedEncodingException | RuntimeException e) {
                // left as it is: an undecodable name is not a label
            }
        }
        return text.replaceAll("[ \\t]+", " ").strip();
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    /**
     * A label Veil gave correspondents, or an alias address written as the name (Outlook writes a typed address so,
     * quoted in apostrophes, or an encoded word that hides its {@code @} from the address pattern): neither names
     * anybody, and the person would read their own alias.
     */
    private boolean isLabel(String displayName) {
        try {
            String bare = displayName;
            while (bare.length() >= 2 && bare.startsWith("'") && bare.endsWith("'")) {
                bare = bare.substring(1, bare.length() - 1).strip();
            }
            return SAFE_ADDRESS.matcher(bare).matches() && reidentifier.isAliasAddress(bare)
                    || reidentifier.isLabel(displayName);
        } catch (RuntimeException e) {
            return false; // the policy unavailable: the name stays, as before labels were dropped
        }
    }

    private Optional<String> address(String field, String token) throws RestorationException {
        // apostrophes before it are Outlook's quotes around an address typed as a name ('c-…@alias'), never part of an
        // alias: the address pattern takes them as atext
        int quotes = 0;
        while (quotes < token.length() && token.charAt(quotes) == '\'') {
            quotes++;
        }
        if (quotes > 0) {
            Optional<String> inner = address(field, token.substring(quotes));
            return inner == null || inner.isEmpty() ? inner : Optional.of(token.substring(0, quotes) + inner.get());
        }
        String candidate = stripTrailingDots(token);
        boolean alias;
        Optional<String> real;
        try {
            alias = reidentifier.isAliasAddress(candidate);
            if (!alias) {
                return null;
            }
            real = reidentifier.realAddress(candidate);
        } catch (RuntimeException e) {
            throw new RestorationException("cannot resolve an alias in " + field + ": " + e.getMessage(), e);
        }
        if (real == null || real.isEmpty()) {
            return Optional.empty();
        }
        if (!isPlainAddress(real.get())) {
            // a quoted local part or an address literal ("john..doe"@…, alice@[192.0.2.1]) is an address, but not one
            // Veil writes into a header or relays to (the outbound listener refuses such an alias as a recipient, so
            // the message never goes to it): the alias stays, as one nobody knows does, and the rest goes out. Holding
            // the message back made every reply in a thread that named such a person wait, then bounce (a probe)
            return Optional.empty();
        }
        String value = real.get();
        // keep the trailing dots that are not part of the address (end of a sentence in a comment)
        return Optional.of(value + token.substring(candidate.length()));
    }

    private static final Pattern OWN_ID = Pattern.compile("<([^<>\\s]+)>");

    /**
     * The business's own Message-ID of an outgoing message (without angle brackets), to remember as sent; empty when
     * it has none or when it is one of Veil's tokens (a message sent again under the id Exchange was shown: its real
     * id is a correspondent's, which must not be shown later).
     */
    public Optional<String> ownMessageId(HeaderBlock header) throws RestorationException {
        Optional<HeaderField> field = header.first("Message-ID");
        if (field.isEmpty()) {
            return Optional.empty();
        }
        Matcher id = OWN_ID.matcher(field.get().value());
        if (!id.find()) {
            return Optional.empty();
        }
        Optional<String> real;
        try {
            real = reidentifier.realMessageId(id.group());
        } catch (RuntimeException e) {
            throw new RestorationException("cannot tell whether the Message-ID is a token: " + e.getMessage(), e);
        }
        return real == null || real.isEmpty() ? Optional.of(id.group(1)) : Optional.empty();
    }

    private Optional<String> messageId(String field, String token) throws RestorationException {
        Optional<String> real;
        try {
            real = reidentifier.realMessageId(token);
        } catch (RuntimeException e) {
            throw new RestorationException("cannot resolve a message id in " + field + ": " + e.getMessage(), e);
        }
        if (real == null || real.isEmpty()) {
            return null;
        }
        if (!SAFE_MESSAGE_ID.matcher(real.get()).matches()) {
            throw new RestorationException("the real message id for a token in " + field + " is not a valid msg-id");
        }
        return real;
    }

    /**
     * Whether a real address as the Reidentifier gave it may go into a header or an SMTP command as it is: nothing in it
     * could inject anything (no line breaks, brackets, commas, quotes, spaces), so no quoted local part or address
     * literal either.
     */
    public static boolean isPlainAddress(String real) {
        return real != null && SAFE_ADDRESS.matcher(real).matches() && real.length() <= 320;
    }

    private static String stripTrailingDots(String token) {
        int end = token.length();
        while (end > 0 && token.charAt(end - 1) == '.') {
            end--;
        }
        return token.substring(0, end);
    }

    /** Where {@code needle} first occurs in {@code haystack} at or after {@code from}; -1 if nowhere. */
    static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
