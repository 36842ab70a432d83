package dev.veil.gateway.smtp;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.james.core.MailAddress;

/**
 * The envelope senders one outbound account may use ({@code outbound.accounts[].senders}): addresses, each with its
 * {@code +} sub-addresses (Exchange Online delivers those to the same mailbox), and {@code @domain} for a whole
 * domain. Empty means any address of a protected domain, which the listener checks for everyone anyway. Without
 * such a list a user who logs in can send as any colleague, which Postfix's {@code reject_sender_login_mismatch}
 * exists to stop.
 */
record AccountSenders(Set<String> addresses, Set<String> domains) {
    /** No list: the account may use any address the listener accepts. */
    static final AccountSenders ANY = new AccountSenders(Set.of(), Set.of());

    AccountSenders {
        addresses = Set.copyOf(addresses);
        domains = Set.copyOf(domains);
    }

    /**
     * @throws IllegalArgumentException naming the entry that is neither an address nor {@code @domain}
     */
    static AccountSenders parse(List<String> entries) {
        Set<String> addresses = new LinkedHashSet<>();
        Set<String> domains = new LinkedHashSet<>();
        for (String entry : entries) {
            String trimmed = entry == null ? "" : entry.strip();
            while (trimmed.endsWith(".")) {
                trimmed = trimmed.substring(0, trimmed.length() - 1); // a fully qualified domain, as DNS writes it
            }
            try {
                if (trimmed.startsWith("@")) {
                    domains.add(domainOf(new MailAddress("postmaster" + trimmed)));
                } else {
                    MailAddress address = new MailAddress(trimmed);
                    if (address.getLocalPart().isEmpty()) {
                        throw new IllegalArgumentException("empty local part");
                    }
                    addresses.add(key(address.getLocalPart(), address));
                }
            } catch (Exception e) {
                throw new IllegalArgumentException("'" + entry + "' is neither an address (alice@example.com) nor a"
                        + " domain (@example.com)", e);
            }
        }
        return new AccountSenders(addresses, domains);
    }

    /** No list: the account may use any address the listener accepts. */
    boolean any() {
        return addresses.isEmpty() && domains.isEmpty();
    }

    boolean allows(MailAddress sender) {
        if (any() || domains.contains(domainOf(sender))) {
            return true;
        }
        String local = sender.getLocalPart();
        if (addresses.contains(key(local, sender))) {
            return true;
        }
        int plus = local.indexOf('+');
        return plus > 0 && addresses.contains(key(local.substring(0, plus), sender));
    }

    private static String key(String localPart, MailAddress address) {
        return localPart.toLowerCase(Locale.ROOT) + "@" + domainOf(address);
    }

    private static String domainOf(MailAddress address) {
        String domain = address.getDomain().asString().toLowerCase(Locale.ROOT);
        while (domain.endsWith(".")) {
            domain = domain.substring(0, domain.length() - 1);
        }
        return domain;
    }
}
