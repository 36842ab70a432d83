package dev.veil.gateway.smtp;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import org.apache.james.protocols.api.BaseRequest;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.esmtp.AuthCmdHandler;

/**
 * AUTH only inside TLS. James offers AUTH in EHLO according to the configuration but accepts the command whenever
 * PLAIN is enabled; a password must never cross the network in clear, so before STARTTLS the command is refused
 * with RFC 4954's "encryption required" (538) and the password is never read.
 *
 * <p>PLAIN's authorization identity (RFC 4616 section 2: "authzid NUL authcid NUL passwd") must be empty or the user
 * itself: Veil lets nobody act for another, and the server must then fail the authentication. James reads only the
 * user and password of such a response and logged in {@code bob\0alice\0alice's password} as alice (found by a
 * black-box probe), so the response is read here first, given with the command or on the line after it; such a
 * response counts as a failed login.
 *
 * <p>A client that has failed too often ({@link AuthFailures}) hears {@code 421} to AUTH, before any password is read.
 */
final class TlsOnlyAuthCmdHandler extends AuthCmdHandler {
    private static final Response ACTS_FOR_ANOTHER = new SMTPResponse("535", "5.7.8 Authentication credentials"
            + " invalid: the authorization identity must be empty or the user itself").immutable();

    private static final Response MALFORMED = new SMTPResponse("501", "5.5.2 Malformed PLAIN response: it is"
            + " authorization identity, NUL, user, NUL, password").immutable();

    /** An enhanced status code at the start of a reply's text (RFC 3463). */
    private static final java.util.regex.Pattern ENHANCED =
            java.util.regex.Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}(?: |$)");

    private final AuthFailures failures;

    TlsOnlyAuthCmdHandler(AuthFailures failures) {
        this.failures = failures;
    }

    @Override
    public Response onCommand(SMTPSession session, Request request) {
        if (!session.isTLSStarted()) {
            return new SMTPResponse("538", "5.7.11 Encryption required for requested authentication mechanism;"
                    + " use STARTTLS first");
        }
        if (session.getAttachment(SMTPSession.CURRENT_HELO_MODE, ProtocolSession.State.Connection).isEmpty()
                && session.getAttachment(SMTPSession.CURRENT_HELO_MODE, ProtocolSession.State.Transaction).isEmpty()) {
            // RFC 3207 4.2: after STARTTLS the client greets again before anything else (a black-box probe logged in
            // before its new EHLO)
            return new SMTPResponse("503", "5.5.1 Send EHLO first");
        }
        if (session.getAttachment(SMTPSession.SENDER, ProtocolSession.State.Transaction).isPresent()) {
            // RFC 4954 4: "The AUTH command is not permitted during a mail transaction" (James took it: a probe)
            return new SMTPResponse("503", "5.5.1 AUTH is not permitted during a mail transaction");
        }
        if (failures.blocked(client(session))) {
            // as Postfix's anvil limits: 421 and the session ends (RFC 5321 3.8)
            SMTPResponse refused = new SMTPResponse("421", "4.7.0 Too many failed logins from your address;"
                    + " try again later, closing connection");
            refused.setEndSession(true);
            return refused;
        }
        String argument = request.getArgument() == null ? "" : request.getArgument().strip();
        String[] words = argument.split("\\s+", 2);
        if (session.getUsername() == null && words[0].toUpperCase(Locale.ROOT).equals("PLAIN")) {
            if (words.length == 2) {
                if (malformed(words[1])) {
                    return MALFORMED;
                }
                if (actsForAnother(words[1])) {
                    return actingForAnother(session);
                }
            } else {
                // the response comes on the next line: read here, then handed to James as if given with the command
                session.pushLineHandler(new LineHandler<SMTPSession>() {
                    @Override
                    public Response onLine(SMTPSession s, byte[] line) {
                        s.popLineHandler();
                        String response = new String(line, StandardCharsets.US_ASCII).strip();
                        if (response.equals("*")) {
                            return new SMTPResponse("501", "5.7.0 Authentication aborted");
                        }
                        if (malformed(response)) {
                            return MALFORMED;
                        }
                        if (actsForAnother(response)) {
                            return actingForAnother(s);
                        }
                        return withEnhancedCode(TlsOnlyAuthCmdHandler.super.onCommand(s,
                                new BaseRequest(request.getCommand(), "PLAIN " + response)));
                    }
                });
                return new SMTPResponse("334", "").immutable();
            }
        }
        return withEnhancedCode(super.onCommand(session, request));
    }

    /**
     * James's own AUTH replies with the enhanced status code RFC 2034 asks for where James left it out
     * ({@code 504 Unrecognized Authentication Type}, {@code 501} to a response that is not base64: a black-box probe).
     */
    static Response withEnhancedCode(Response response) {
        if (response == null || response.getLines().size() != 1) {
            return response;
        }
        String enhanced = switch (response.getRetCode()) {
            case "501" -> "5.5.2";
            case "503" -> "5.5.1";
            case "504" -> "5.5.4";
            case "530" -> "5.7.0";
            case "535" -> "5.7.8";
            case "454" -> "4.7.0";
            default -> null;
        };
        String line = response.getLines().get(0).toString();
        String text = line.length() > 4 ? line.substring(4) : "";
        if (enhanced == null || ENHANCED.matcher(text).lookingAt()) {
            return response;
        }
        SMTPResponse withCode = new SMTPResponse(response.getRetCode(), enhanced + " " + text);
        withCode.setEndSession(response.isEndSession());
        return withCode;
    }

    /**
     * A failed login like any other: for the client's limit and the session's (its third failure ends it with 421; a
     * black-box probe's session went on after a wrong password, an unknown user and such a response).
     */
    private Response actingForAnother(SMTPSession session) {
        failures.failed(client(session));
        if (AccountAuthHook.failedInSession(session) >= AccountAuthHook.MAX_FAILURES) {
            SMTPResponse closing = new SMTPResponse("421", "4.7.0 Authentication credentials invalid; too many"
                    + " failed logins, closing connection");
            closing.setEndSession(true);
            return closing;
        }
        return ACTS_FOR_ANOTHER;
    }

    static java.net.InetAddress client(SMTPSession session) {
        return session.getRemoteAddress() == null ? null : session.getRemoteAddress().getAddress();
    }

    /**
     * A PLAIN response that decodes but is not RFC 4616's three fields ({@code \0alice\0password\0} was taken as
     * alice's login, as a black-box probe found): the password cannot hold a NUL, so it is not a password either.
     */
    static boolean malformed(String base64) {
        String[] fields = plainFields(base64);
        return fields != null && fields.length != 3;
    }

    /** Whether a PLAIN response names an authorization identity other than its user; false when it cannot be read. */
    static boolean actsForAnother(String base64) {
        String[] fields = plainFields(base64);
        // user names compare without case (AccountAuthHook.Account#sessionName), so does the identity acting as one
        return fields != null && fields.length == 3 && !fields[0].isEmpty()
                && !AccountAuthHook.Account.sessionName(fields[0]).equals(AccountAuthHook.Account.sessionName(fields[1]));
    }

    /** The NUL-separated fields of a PLAIN response; null when it is not base64 (James answers 501 to that). */
    private static String[] plainFields(String base64) {
        try {
            return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8).split("\0", -1);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
