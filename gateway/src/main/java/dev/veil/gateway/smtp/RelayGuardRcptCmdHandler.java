package dev.veil.gateway.smtp;

import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.RcptCmdHandler;

/**
 * RCPT with source routes ({@code <@relay:user@host>}) refused before James's parser strips the route: a route
 * names another host to relay through, which is exactly what Veil never does.
 */
final class RelayGuardRcptCmdHandler extends RcptCmdHandler {

    RelayGuardRcptCmdHandler(MetricFactory metricFactory) {
        super(metricFactory);
    }

    @Override
    protected Response doFilterChecks(SMTPSession session, String command, String argument) {
        if (argument != null) {
            int colon = argument.indexOf(':');
            String path = colon < 0 ? "" : argument.substring(colon + 1).trim();
            if (path.startsWith("<@") || path.startsWith("@")) {
                return new SMTPResponse("550", "5.7.1 Source routes are not accepted; relaying denied");
            }
        }
        return super.doFilterChecks(session, command, argument);
    }
}
