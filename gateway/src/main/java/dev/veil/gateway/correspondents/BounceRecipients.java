package dev.veil.gateway.correspondents;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import dev.veil.gateway.relay.DeliveryStatusNotification;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
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
 * address behind an alias of the original's To, Cc or Bcc is named by that alias. When the message went to any
 * correspondent, every reason keeps only its reply codes: a remote server wrote it, it can name any recipient of the
 * transaction, in ways no replacement is sure to catch ("bob%40partner.example", "user=bob", the server's IP address).
 * Mail that went to no correspondent keeps its reasons in full.
 */
public final class BounceRecipients {
    private static final Set<String> ADDRESS_FIELDS = Set.of("to", "cc", "bcc");
    private static final Pattern ADDRESS = Pattern.compile("[^\\s<>()\\[\\],;:\"@]+@[^\\s<>()\\[\\],;:\"@]+");

    private BounceRecipients() {
    }

    /**
     * {@code failures} (recipient to reason) with every real address that an alias in {@code original}'s header stands
     * for replaced by that alias — and, for a recipient the header does not name, its alias from the directory (see
     * {@link Reidentifier#aliasOf}) — and, if the message went to any correspondent (an alias in the header, or one
     * of {@code recipients} or of the failed recipients with an alias in the directory), every reason reduced to its
     * codes (see {@link #codesOnly}); the same map when there is none.
     *
     * @param recipients every recipient the message was accepted for (failed, delivered or still due)
     */
    public static Map<String, String> asAddressed(Path original, Collection<String> recipients,
                                                  Map<String, String> failures, Reidentifier aliases)
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
        if (aliasOf.isEmpty() && !toAnyCorrespondent(recipients, failures, aliases)) {
            return failures;
        }
        // the message went to a correspondent: the server that refused any recipient saw the whole transaction, and
        // its text for one can name another in any spelling ("bob%40partner.example", "user=bob,", "[192.0.2.44]"),
        // which no replacement can be sure to catch; the codes say what went wrong
        Map<String, String> named = new LinkedHashMap<>();
        failures.forEach((recipient, why) -> named.put(
                aliasOf.getOrDefault(recipient.toLowerCase(Locale.ROOT), recipient), codesOnly(why)));
        return named;
    }

    /** Whether a recipient that did not fail (and that the header does not name) is a correspondent. */
    private static boolean toAnyCorrespondent(Collection<String> recipients, Map<String, String> failures,
                                              Reidentifier aliases) {
        Set<String> failed = new java.util.HashSet<>();
        failures.keySet().forEach(r -> failed.add(r.toLowerCase(Locale.ROOT)));
        for (String recipient : recipients) {
            if (!failed.contains(recipient.toLowerCase(Locale.ROOT)) && aliases.aliasOf(recipient).isPresent()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The reply code and enhanced status code at the start of {@code reply} ("550 5.1.1"), and a note that the rest
     * is left out.
     */
    static String codesOnly(String reply) {
        String codes = DeliveryStatusNotification.replyCodes(reply);
        return (codes.isEmpty() ? "" : codes + " ")
                + "(the rest of the reason is left out: it can name a correspondent)";
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
