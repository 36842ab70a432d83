package dev.veil.gateway.smtp;

import java.util.List;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.HeloCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.EhloCmdHandler;

/**
 * James's EHLO and HELO, with their greeting line as RFC 5321 4.1.1.1 shows it: James 3.8 writes
 * {@code 250 host Hello name [192.0.2.1])}, a parenthesis it never opened (black-box probes saw it in both).
 */
final class Greetings {
    private Greetings() {
    }

    static final class Ehlo extends EhloCmdHandler {
        Ehlo(MetricFactory metrics) {
            super(metrics);
        }

        @Override
        protected Response doCoreCmd(SMTPSession session, String command, String parameters) {
            return withoutStrayParenthesis(super.doCoreCmd(session, command, parameters));
        }
    }

    static final class Helo extends HeloCmdHandler {
        Helo(MetricFactory metrics) {
            super(metrics);
        }

        @Override
        protected Response doCoreCmd(SMTPSession session, String command, String parameters) {
            return withoutStrayParenthesis(super.doCoreCmd(session, command, parameters));
        }
    }

    /** The reply with its first line's final {@code ])} made {@code ]}; any other reply as it is. */
    static Response withoutStrayParenthesis(Response response) {
        List<CharSequence> lines = response.getLines();
        if (!(response instanceof SMTPResponse) || lines.isEmpty() || !lines.get(0).toString().endsWith("])")) {
            return response;
        }
        String first = lines.get(0).toString();
        // the lines come with their code ("250-" or "250 ") in front
        int codeEnd = response.getRetCode().length() + 1;
        SMTPResponse fixed = new SMTPResponse(response.getRetCode(), first.substring(codeEnd, first.length() - 1));
        for (CharSequence line : lines.subList(1, lines.size())) {
            fixed.appendLine(line.toString().substring(Math.min(codeEnd, line.length())));
        }
        fixed.setEndSession(response.isEndSession());
        return fixed;
    }
}
