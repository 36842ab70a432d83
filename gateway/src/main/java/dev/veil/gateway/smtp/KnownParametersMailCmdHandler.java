package dev.veil.gateway.smtp;

import java.util.Locale;
import java.util.Set;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.MailCmdHandler;

/**
 * MAIL FROM that refuses parameters of extensions Veil does not offer, with {@code 555 5.5.4} (RFC 5321 4.1.1.11,
 * 3.3) — James ignores a parameter it has no hook for, which would let a client believe {@code BODY=BINARYMIME}
 * (RFC 3030), {@code RET=}/{@code ENVID=} (DSN, RFC 3461) or a misspelt {@code SIZE} were honoured. Known: {@code SIZE}
 * (RFC 1870), {@code BODY=7BIT|8BITMIME} (RFC 6152), {@code AUTH=} (RFC 4954), and {@code SMTPUTF8}, which a hook
 * refuses with its own explanation.
 */
final class KnownParametersMailCmdHandler extends MailCmdHandler {
    private static final Set<String> KNOWN = Set.of("SIZE", "BODY", "AUTH", "SMTPUTF8");
    private static final Set<String> BODY_TYPES = Set.of("7BIT", "8BITMIME");

    KnownParametersMailCmdHandler(MetricFactory metrics) {
        super(metrics);
    }

    /**
     * A second MAIL in a transaction is refused with no effect (RFC 5321 4.1.4, 3.3). James answers it 503 but then,
     * as for any MAIL not answered 250, drops the transaction's sender and keeps its recipients: a further MAIL got
     * 250 and the message went to recipients accepted under another sender (a RCPT-time reject rule bypassed).
     */
    @Override
    public Response onCommand(SMTPSession session, Request request) {
        if (session.getAttachment(SMTPSession.SENDER, ProtocolSession.State.Transaction).isPresent()) {
            return new SMTPResponse(SMTPRetCode.BAD_SEQUENCE, "5.5.1 Sender already specified; RSET to start again");
        }
        return super.onCommand(session, withoutSourceRoute(request));
    }

    private static final java.util.regex.Pattern SOURCE_ROUTE = java.util.regex.Pattern.compile(
            "(?i)^(\\s*FROM:\\s*<)@[^:<>\"]*:([^>]*>.*)$", java.util.regex.Pattern.DOTALL);

    /**
     * {@code MAIL FROM:<@a.example,@b.example:x@partner.example>} as {@code MAIL FROM:<x@partner.example>}: RFC 5321
     * (appendix C, 4.1.1.2) says servers must accept a source route in a reverse path and should ignore it. James
     * refused it with 501 (found by a black-box probe).
     */
    static Request withoutSourceRoute(Request request) {
        String argument = request.getArgument();
        if (argument == null) {
            return request;
        }
        java.util.regex.Matcher m = SOURCE_ROUTE.matcher(argument);
        return m.matches() ? new org.apache.james.protocols.api.BaseRequest(request.getCommand(), m.group(1) + m.group(2))
                : request;
    }

    @Override
    protected Response doFilterChecks(SMTPSession session, String command, String argument) {
        String problem = senderProblem(reversePath(argument));
        if (problem != null) {
            return new SMTPResponse("553", problem);
        }
        String parameters = parameters(argument);
        if (parameters != null) {
            Set<String> seen = new java.util.HashSet<>();
            for (String parameter : parameters.trim().split(" +")) {
                if (parameter.isEmpty()) {
                    continue;
                }
                int eq = parameter.indexOf('=');
                String name = (eq < 0 ? parameter : parameter.substring(0, eq)).toUpperCase(Locale.ROOT);
                String value = eq < 0 ? "" : parameter.substring(eq + 1);
                if (!KNOWN.contains(name)) {
                    return refuse("5.5.4 MAIL parameter " + printable(name) + " is not supported here");
                }
                if (!seen.add(name)) { // RFC 5321 4.1.1.2: each parameter at most once (SIZE=10 SIZE=20 was taken)
                    return new SMTPResponse("501", "5.5.4 MAIL parameter " + name + " given more than once");
                }
                if (name.equals("SIZE") && !value.matches("[0-9]{1,20}")) { // RFC 1870: digits only (SIZE=-1 was taken)
                    return new SMTPResponse("501", "5.5.4 SIZE must be a number of octets");
                }
                if (name.equals("BODY") && !BODY_TYPES.contains(value.toUpperCase(Locale.ROOT))) {
                    return refuse("5.5.4 BODY=" + printable(value) + " is not supported here (7BIT or 8BITMIME)");
                }
            }
        }
        return super.doFilterChecks(session, command, argument);
    }

    /**
     * Why a reverse path is refused, or null. James would take a sender without a domain as one at "localhost", and
     * an address literal without its brackets (so {@code zqx@[192.0.2.9]} as one at the domain "192.0.2.9"): either
     * would become a correspondent whose alias a reply then reaches at an address that is not theirs. RFC 5321 4.1.2
     * requires a domain; no real mail system sends from an address literal.
     */
    static String senderProblem(String path) {
        if (path == null || path.isEmpty() || path.startsWith("@")) {
            return null; // the null sender; a source route and other shapes are James's to refuse
        }
        int at = -1;
        boolean quoted = false;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '@' && !quoted) {
                at = i;
            }
        }
        if (at < 0 || at == path.length() - 1) {
            return "5.1.7 The sender address has no domain (RFC 5321 4.1.2): write it as local-part@domain";
        }
        if (path.charAt(at + 1) == '[') {
            return "5.1.7 Address literals are not accepted as senders here; use a domain name";
        }
        return null;
    }

    /** The reverse path inside {@code FROM:<path> params}, or null when the argument is not of that shape. */
    static String reversePath(String argument) {
        String parameters = parameters(argument);
        if (parameters == null) {
            return null;
        }
        String rest = argument.substring(argument.indexOf(':') + 1).stripLeading();
        return rest.substring(1, rest.length() - parameters.length() - 1);
    }

    /**
     * What follows the reverse path in {@code FROM:<path> params}, or null when the argument is not of that shape
     * (James's own checks answer those). A quoted local part may contain {@code >}.
     */
    static String parameters(String argument) {
        return parameters(argument, "FROM");
    }

    /** The same for {@code KEYWORD:<path> params}: {@code TO} for RCPT. */
    static String parameters(String argument, String keyword) {
        if (argument == null) {
            return null;
        }
        int colon = argument.indexOf(':');
        if (colon < 0 || !argument.substring(0, colon).trim().equalsIgnoreCase(keyword)) {
            return null;
        }
        String rest = argument.substring(colon + 1).stripLeading();
        if (!rest.startsWith("<")) {
            return null;
        }
        boolean quoted = false;
        for (int i = 1; i < rest.length(); i++) {
            char c = rest.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '>' && !quoted) {
                return rest.substring(i + 1);
            }
        }
        return null;
    }

    private static Response refuse(String text) {
        return new SMTPResponse("555", text);
    }

    /** The client's text, safe to echo: printable ASCII, at most 64 characters. */
    static String printable(String s) {
        String cleaned = s.replaceAll("[^\\x21-\\x7e]", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) + "..." : cleaned;
    }
}
