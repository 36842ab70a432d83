package dev.veil.gateway.smtp;

import java.util.function.Supplier;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.RcptCmdHandler;

/**
 * RCPT with source routes ({@code <@relay:user@host>}) refused before James's parser strips the route: a route
 * names another host to relay through, which is exactly what Veil never does. RCPT parameters are refused with
 * {@code 555 5.5.4}: no extension that defines one is offered.
 */
final class RelayGuardRcptCmdHandler extends RcptCmdHandler {
    private final boolean outbound;
    /** The domain a bare {@code <postmaster>} is taken to be at (inbound), or null to refuse it (outbound). */
    private final Supplier<String> postmasterDomain;

    /**
     * @param outbound         also refuse, with replies that say why, what James's parser would refuse as a bare
     *                         syntax error (non-ASCII addresses) or quietly alter (it drops the brackets of an address
     *                         literal, so {@code bob@[192.0.2.1]} would be relayed as {@code bob@192.0.2.1})
     * @param postmasterDomain where a bare {@code <postmaster>} goes (RFC 5321 4.5.1: it must be accepted): the
     *                         first protected domain, inbound; null: refused like any address without a domain
     */
    RelayGuardRcptCmdHandler(MetricFactory metricFactory, boolean outbound, Supplier<String> postmasterDomain) {
        super(metricFactory);
        this.outbound = outbound;
        this.postmasterDomain = postmasterDomain;
    }

    @Override
    protected Response doFilterChecks(SMTPSession session, String command, String argument) {
        if (argument != null) {
            int colon = argument.indexOf(':');
            String path = colon < 0 ? "" : argument.substring(colon + 1).trim();
            if (path.startsWith("<@") || path.startsWith("@")) {
                return new SMTPResponse("550", "5.7.1 Source routes are not accepted; relaying denied");
            }
            // no RCPT extension is offered (DSN's NOTIFY/ORCPT is not): James answered "504" without an enhanced
            // code; RFC 5321 4.1.1.11 says 555, as KnownParametersMailCmdHandler answers for MAIL
            String parameters = KnownParametersMailCmdHandler.parameters(argument, "TO");
            if (parameters != null && !parameters.isBlank()) {
                String first = parameters.trim().split(" +")[0];
                int eq = first.indexOf('=');
                return new SMTPResponse("555", "5.5.4 RCPT parameter "
                        + KnownParametersMailCmdHandler.printable(eq < 0 ? first : first.substring(0, eq))
                        + " is not supported here");
            }
            if (outbound && !path.chars().allMatch(c -> c < 128)) {
                return new SMTPResponse("553", "5.6.7 Non-ASCII addresses are not supported (no SMTPUTF8);"
                        + " write the domain as an xn-- A-label");
            }
            if (outbound && path.contains("@[")) {
                return new SMTPResponse("550", "5.1.2 Address literals are not relayed; use a domain name");
            }
            // James would take an address without a domain as one at "localhost": relayed outbound to bob@localhost,
            // refused inbound naming a domain the client never wrote
            String forwardPath = path.startsWith("<") && path.endsWith(">")
                    ? path.substring(1, path.length() - 1) : null;
            if (forwardPath != null && !forwardPath.isEmpty() && forwardPath.indexOf('@') < 0) {
                String domain = postmasterDomain == null ? null : postmasterDomain.get();
                if (domain != null && forwardPath.equalsIgnoreCase("postmaster")) {
                    return super.doFilterChecks(session, command, "TO:<postmaster@" + domain + ">");
                }
                return new SMTPResponse("553", "5.1.3 The recipient address has no domain (RFC 5321 4.1.2): write it"
                        + " as local-part@domain");
            }
        }
        return super.doFilterChecks(session, command, argument);
    }
}
