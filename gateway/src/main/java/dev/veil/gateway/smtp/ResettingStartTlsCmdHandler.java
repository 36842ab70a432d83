package dev.veil.gateway.smtp;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.esmtp.StartTlsCmdHandler;

/**
 * STARTTLS that makes the client greet again: RFC 3207 section 4.2 — after the handshake the server must discard what
 * it learned from the client before it, such as the EHLO argument. James resets the mail transaction but kept the
 * name from the plaintext EHLO, so MAIL was taken inside TLS without a new EHLO and the envelope kept the old name
 * (found by a black-box probe), the name SPF checks for mail from {@code <>}.
 */
final class ResettingStartTlsCmdHandler extends StartTlsCmdHandler {
    @Override
    public Response onCommand(SMTPSession session, Request request) {
        Response response = super.onCommand(session, request);
        if (response.getRetCode().equals("220")) {
            for (ProtocolSession.State scope : ProtocolSession.State.values()) {
                session.removeAttachment(SMTPSession.CURRENT_HELO_NAME, scope);
                session.removeAttachment(SMTPSession.CURRENT_HELO_MODE, scope);
            }
        }
        return response;
    }
}
