package dev.veil.gateway.smtp;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import dev.veil.gateway.core.IncomingMessage;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * End of DATA on the outbound listener, with {@code outbound.exchangeTenants} set: mail a trusted peer (network or
 * certificate) hands over must come from the business's own Microsoft 365 tenant, as the fields Exchange Online
 * stamps say ({@code X-MS-Exchange-CrossTenant-Id}, {@code X-OriginatorOrg}). Exchange's outbound ranges and its
 * connector certificate are shared by every tenant; without this, any tenant could point a connector at Veil.
 * Authenticated users are judged by their account instead.
 */
final class ExchangeTenantCheck {
    private static final Logger LOG = LoggerFactory.getLogger(ExchangeTenantCheck.class);
    static final List<String> FIELDS = List.of("X-MS-Exchange-CrossTenant-Id", "X-OriginatorOrg");

    private final Set<String> tenants;
    private final OutboundSubmitter submitter;

    ExchangeTenantCheck(List<String> tenants, OutboundSubmitter submitter) {
        this.tenants = tenants.stream().map(t -> t.strip().toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        this.submitter = submitter;
    }

    /** A refusal, or empty when the message may be queued. */
    Optional<HookResult> refusal(SMTPSession session, IncomingMessage message) throws IOException {
        if (tenants.isEmpty() || OutboundSubmitter.authenticated(session) || !submitter.trustedPeer(session)) {
            return Optional.empty();
        }
        HeaderBlock header = message.header();
        for (String name : FIELDS) {
            for (HeaderField field : header.all(name)) {
                if (tenants.contains(field.value().strip().toLowerCase(Locale.ROOT))) {
                    return Optional.empty();
                }
            }
        }
        LOG.warn("outbound client {} sent mail from another Microsoft 365 tenant (or none): refused",
                session.getRemoteAddress());
        return Optional.of(HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("550")
                .smtpDescription("5.7.1 Relay access denied: the message does not come from this business's"
                        + " Microsoft 365 tenant (X-MS-Exchange-CrossTenant-Id / X-OriginatorOrg)").build());
    }
}
