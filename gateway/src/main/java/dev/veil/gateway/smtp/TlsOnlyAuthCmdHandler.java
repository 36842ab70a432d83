package dev.veil.gateway.smtp;

import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.esmtp.AuthCmdHandler;

/**
 * AUTH only inside TLS. James offers AUTH in EHLO according to the configuration but accepts the command whenever
 * PLAIN is enabled; a password must never cross the network in clear, so before STARTTLS the command is refused
 * with RFC 4954's "encryption required" (538) and the password is never read.
 */
final class TlsOnlyAuthCmdHandler extends AuthCmdHandler {
    @Override
    public Response onCommand(SMTPSession session, Request request) {
        if (!session.isTLSStarted()) {
            return new SMTPResponse("538", "5.7.11 Encryption required for requested authentication mechanism;"
                    + " use STARTTLS first");
        }
        return super.onCommand(session, request);
    }
}
