package dev.veil.gateway.smtp;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandDispatcher;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.HelpCmdHandler;
import org.apache.james.protocols.smtp.core.NoopCmdHandler;
import org.apache.james.protocols.smtp.core.RsetCmdHandler;
import org.apache.james.protocols.smtp.core.VrfyCmdHandler;

/**
 * Ends a session after {@code smtp.maxErrorsPerSession} error replies (4xx or 5xx to its commands), as Postfix's
 * {@code smtpd_hard_error_limit} does: a client that keeps sending what is refused (2,000 unknown commands, 300
 * recipients of other domains — a black-box probe's sessions went on) is probing or broken, and holds a slot that a
 * sender could use. The reply that reaches the limit is {@code 421} instead, and the connection closes (RFC 5321 3.8).
 */
final class ErrorLimit implements ProtocolHandlerResultHandler<Response, SMTPSession> {
    private static final ProtocolSession.AttachmentKey<Integer> ERRORS =
            ProtocolSession.AttachmentKey.of("veil.errors", Integer.class);
    private static final ProtocolSession.AttachmentKey<Integer> JUNK =
            ProtocolSession.AttachmentKey.of("veil.junk", Integer.class);
    private static final ProtocolSession.AttachmentKey<Integer> OVERSHOOT =
            ProtocolSession.AttachmentKey.of("veil.recipient-overshoot", Integer.class);
    /**
     * Recipients past {@code smtp.maxRecipients} a session may name before each further one counts as an error, as
     * Postfix's {@code smtpd_recipient_overshoot_limit} (1000): a client that sends every RCPT of a large message
     * (Postfix and Exchange do) hears 452 for the rest and sends them in another transaction; counted as errors, the
     * 20th such reply ended the session and lost the transaction, on every retry.
     */
    static final int MAX_RECIPIENT_OVERSHOOT = 1000;
    private final int max;
    private final int maxJunk;

    /**
     * @param max     error replies that end a session
     * @param maxJunk NOOP, RSET, VRFY and HELP commands a session may send before each further one counts as an error
     *                too, as Postfix's {@code smtpd_junk_command_limit}: they keep a session going without sending
     *                mail, one within every idle timeout for ever
     */
    ErrorLimit(int max, int maxJunk) {
        this.max = max;
        this.maxJunk = maxJunk;
    }

    @Override
    public Response onResponse(ProtocolSession session, Response response, long executionTime,
                               ProtocolHandler handler) {
        String code = response == null ? null : response.getRetCode();
        if (code == null || response.isEndSession()) {
            return response;
        }
        boolean junk = handler instanceof NoopCmdHandler || handler instanceof RsetCmdHandler
                || handler instanceof VrfyCmdHandler || handler instanceof HelpCmdHandler;
        if (junk) {
            int count = session.getAttachment(JUNK, ProtocolSession.State.Connection).orElse(0) + 1;
            session.setAttachment(JUNK, count, ProtocolSession.State.Connection);
            if (count > maxJunk && !(code.startsWith("4") || code.startsWith("5"))) {
                return counted(session, response); // an error reply is counted below, from the dispatcher
            }
            return response;
        }
        // each command's reply comes here from its handler and again from the dispatcher: counted once, there
        if (!(handler instanceof CommandDispatcher) || !(code.startsWith("4") || code.startsWith("5"))) {
            return response;
        }
        if (session.removeAttachment(RecipientChecks.OVER_RECIPIENT_LIMIT, ProtocolSession.State.Connection)
                .isPresent()) {
            int overshoot = session.getAttachment(OVERSHOOT, ProtocolSession.State.Connection).orElse(0) + 1;
            session.setAttachment(OVERSHOOT, overshoot, ProtocolSession.State.Connection);
            if (overshoot <= MAX_RECIPIENT_OVERSHOOT) {
                return response;
            }
        }
        return counted(session, response);
    }

    /** Counts one error for the session: the response as it is, or 421 and the end when that reaches the limit. */
    private Response counted(ProtocolSession session, Response response) {
        int errors = session.getAttachment(ERRORS, ProtocolSession.State.Connection).orElse(0) + 1;
        session.setAttachment(ERRORS, errors, ProtocolSession.State.Connection);
        if (errors < max) {
            return response;
        }
        SMTPResponse closing = new SMTPResponse("421", "4.7.0 Too many errors in this session (" + errors
                + "), closing connection");
        closing.setEndSession(true);
        return closing;
    }
}
