package dev.veil.gateway.correspondents;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import dev.veil.gateway.relay.DeliveryStatusNotification;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The failed recipients of a bounce notice for mail the business sent, named as the user addressed them. Replies to
 * correspondents go to their aliases and leave with the real addresses (resolved at RCPT); a notice naming the real
 * address would carry it back into Exchange — in clear, when the sender's rule passes mail unencrypted. So each real
 * address behind an alias of the original's To, Cc or Bcc is named by that alias. The reason given for such a
 * recipient keeps only its reply codes: the correspondent's own server wrote it, and it can name them in ways no
 * replacement is sure to catch. Reasons given for other recipients have the aliased addresses and their parts
 * replaced.
 */
public final class BounceRecipients {
    private static final Set<String> ADDRESS_FIELDS = Set.of("to", "cc", "bcc");
    private static final Pattern ADDRESS = Pattern.compile("[^\\s<>()\\[\\],;:\"@]+@[^\\s<>()\\[\\],;:\"@]+");

    private BounceRecipients() {
    }

    /**
     * {@code failures} (recipient to reason) with every real address that an alias in {@code original}'s header stands
     * for replaced by that alias — and, for a recipient the header does not name, its alias from the directory (see
     * {@link Reidentifier#aliasOf}); the same map when there is none.
     */
    public static Map<String, String> asAddressed(Path original, Map<String, String> failures, Reidentifier aliases)
            throws IOException {
        Map<String, String> aliasOf = aliasesIn(original, aliases);
        // a recipient the header does not name (a Bcc reaches Veil in the envelope only) was resolved at RCPT all
        // the same: if the directory holds its alias, the notice names that, not the real address
        for (String recipient : failures.keySet()) {
            String key = recipient.toLowerCase(Locale.ROOT);
            if (!aliasOf.containsKey(key)) {
                aliases.aliasOf(recipient).ifPresent(alias -> aliasOf.put(key, alias));
            }
        }
        if (aliasOf.isEmpty()) {
            return failures;
        }
        Map<String, String> named = new LinkedHashMap<>();
        failures.forEach((recipient, why) -> {
            String alias = aliasOf.get(recipient.toLowerCase(Locale.ROOT));
            if (alias != null) {
                // the correspondent's own server wrote this text: besides the address it can name the mailbox, the
                // host and its IP address in any spelling ("bob%40partner.example", "user=bob,", "[192.0.2.44]"),
                // which no replacement can be sure to catch; the codes say what went wrong
                named.put(alias, codesOnly(why));
                return;
            }
            String text = why;
            for (Map.Entry<String, String> e : aliasOf.entrySet()) {
                text = withoutRealParts(text, e.getKey(), e.getValue());
            }
            named.put(recipient, text);
        });
        return named;
    }

    /**
     * The reply code and enhanced status code at the start of {@code reply} ("550 5.1.1"), and a note that the rest
     * is left out.
     */
    static String codesOnly(String reply) {
        String codes = DeliveryStatusNotification.replyCodes(reply);
        return (codes.isEmpty() ? "" : codes + " ")
                + "(the rest of the reason is left out: it can name the correspondent)";
    }

    /**
     * Another recipient's reason with the real address replaced by the alias, and then its parts on their own: servers
     * also write "User bob unknown" or "mx.partner.example refused", which name the correspondent as well. The local
     * part (3 characters or more, as a whole word) becomes the alias's, the domain (also inside a host name) the
     * alias domain.
     */
    static String withoutRealParts(String text, String real, String alias) {
        String out = replace(text, Pattern.quote(real), alias);
        int at = real.lastIndexOf('@');
        int aliasAt = alias.lastIndexOf('@');
        if (at <= 0 || aliasAt <= 0) {
            return out;
        }
        String local = real.substring(0, at);
        if (local.length() >= 3) {
            out = replace(out, "(?<![A-Za-z0-9._%+=-])" + Pattern.quote(local) + "(?![A-Za-z0-9_%+=-]|\\.[A-Za-z0-9])",
                    alias.substring(0, aliasAt));
        }
        return replace(out, "(?<![A-Za-z0-9-])" + Pattern.quote(real.substring(at + 1)) + "(?![A-Za-z0-9-])",
                alias.substring(aliasAt + 1));
    }

    private static String replace(String text, String regex, String replacement) {
        return Pattern.compile(regex, Pattern.CASE_INSENSITIVE).matcher(text)
                .replaceAll(Matcher.quoteReplacement(replacement));
    }

    /** Real address (lower case) to the alias it was addressed as, for the aliases of the header's To, Cc and Bcc. */
    private static Map<String, String> aliasesIn(Path original, Reidentifier aliases) throws IOException {
        Map<String, String> aliasOf = new LinkedHashMap<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(original))) {
            for (HeaderField field : HeaderBlock.read(in).fields()) {
                if (!ADDRESS_FIELDS.contains(field.name().toLowerCase(Locale.ROOT))) {
                    continue;
                }
                Matcher m = ADDRESS.matcher(field.value());
                while (m.find()) {
                    String address = m.group();
                    if (!aliases.isAliasAddress(address)) {
                        continue;
                    }
                    Optional<String> real = aliases.realAddress(address);
                    if (real != null && real.isPresent()) {
                        aliasOf.putIfAbsent(real.get().toLowerCase(Locale.ROOT), address);
                    }
                }
            }
        }
        return aliasOf;
    }
}
