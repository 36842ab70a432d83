package dev.veil.gateway.smtp;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The trace field Veil puts at the top of every message it takes in (RFC 5321 4.4: a server "MUST insert trace
 * information"), in Postfix's form:
 *
 * <pre>
 * Received: from mail.partner.example ([192.0.2.7])
 *         by veil.example.com (Veil) with ESMTPS id 0PQ3V4X8Z2A7K9M4N6RT
 *         for &lt;alice@example.com&gt;; Thu, 3 Dec 2026 21:40:00 +0000
 * </pre>
 *
 * It names the client (its greeting and its address), this host, the protocol (RFC 3848: {@code ESMTP},
 * {@code ESMTPS} over TLS, {@code ESMTPA}/{@code ESMTPSA} after AUTH, {@code SMTP} after HELO), the queue id an admin
 * finds in the log and the queue, and the recipient when there is only one. Counting these fields is how a mail loop
 * is stopped ({@code smtp.maxHops}). Where Veil pseudonymises, it stays inside the encrypted part with the other
 * trace fields.
 */
final class ReceivedField {
    /** A greeting that is a domain name or an address literal (RFC 5321 4.1.3) is written as the client gave it. */
    private static final Pattern DOMAIN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]*");
    private static final Pattern ADDRESS_LITERAL = Pattern.compile("\\[[A-Za-z0-9:.]{1,60}]");
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM uuuu HH:mm:ss xx", Locale.ROOT);

    private ReceivedField() {
    }

    /**
     * @param helo what the client said in HELO/EHLO (empty if nothing)
     * @param client its address, or null if unknown
     * @param recipient the only recipient, or null when there are several
     */
    static byte[] line(String helo, InetAddress client, String host, String protocol, String queueId,
                       String recipient, ZonedDateTime now) {
        String literal = client == null ? null : addressLiteral(client);
        StringBuilder field = new StringBuilder(256).append("Received: from ");
        if (helo != null && helo.length() <= 255 && (DOMAIN.matcher(helo).matches() && !helo.contains("..")
                || ADDRESS_LITERAL.matcher(helo).matches())) {
            field.append(helo);
            if (literal != null) {
                field.append(" (").append(literal).append(')');
            }
        } else {
            // no usable greeting: the address stands for the client; whatever it said goes into a comment, defanged
            field.append(literal == null ? "unknown" : literal);
            if (helo != null && !helo.isEmpty()) {
                field.append(" (HELO ").append(commentText(helo)).append(')');
            }
        }
        field.append("\r\n\tby ").append(host).append(" (Veil) with ").append(protocol).append(" id ").append(queueId);
        if (recipient != null && recipient.length() <= 256 && isPrintableAscii(recipient)) {
            field.append("\r\n\tfor <").append(recipient).append('>');
        }
        field.append("; ").append(now.format(DATE)).append("\r\n");
        return field.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** RFC 3848's protocol type for this session. */
    static String protocol(boolean extended, boolean tls, boolean authenticated) {
        if (!extended) {
            return "SMTP";
        }
        return "ESMTP" + (tls ? "S" : "") + (authenticated ? "A" : "");
    }

    /** {@code [192.0.2.7]}, {@code [IPv6:2001:db8::7]} (RFC 5321 4.1.3), without an IPv6 scope. */
    static String addressLiteral(InetAddress address) {
        String text = address.getHostAddress();
        int scope = text.indexOf('%');
        if (scope >= 0) {
            text = text.substring(0, scope);
        }
        return address instanceof Inet6Address ? "[IPv6:" + compressed(text) + "]" : "[" + text + "]";
    }

    /** RFC 5952's form of Java's {@code 2001:db8:0:0:0:0:0:7}: the longest run of two or more zero groups as ::. */
    static String compressed(String ipv6) {
        String[] groups = ipv6.split(":", -1);
        if (groups.length != 8) {
            return ipv6;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j].equals("0")) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        if (bestStart < 0) {
            return ipv6;
        }
        return String.join(":", java.util.Arrays.copyOfRange(groups, 0, bestStart)) + "::"
                + String.join(":", java.util.Arrays.copyOfRange(groups, bestStart + bestLength, 8));
    }

    /** Printable ASCII without the characters that would end or nest a comment; at most 100 of them. */
    private static String commentText(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() < 100; i++) {
            char c = text.charAt(i);
            out.append(c > ' ' && c < 127 && c != '(' && c != ')' && c != '\\' ? c : '?');
        }
        return out.toString();
    }

    private static boolean isPrintableAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c >= 127 || c == '>') {
                return false;
            }
        }
        return true;
    }
}
