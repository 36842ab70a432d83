package dev.veil.gateway.smtp;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
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

    /** A refusal, or empty when the message may be queued; {@code header}: the message's, as the listener read it. */
    Optional<HookResult> refusal(SMTPSession session, HeaderBlock header) {
        if (tenants.isEmpty() || OutboundSubmitter.authenticated(session) || !submitter.trustedPeer(session)) {
            return Optional.empty();
        }
        // every stamp must name this business: Exchange adds its own fields next to any the sender wrote (X-* fields
        // can be set by any tenant's users), so one field naming us beside another tenant's is a forgery, not ours
        boolean ours = false;
        boolean foreign = false;
        for (String name : FIELDS) {
            for (HeaderField field : header.all(name)) {
                if (tenants.contains(field.value().strip().toLowerCase(Locale.ROOT))) {
                    ours = true;
                } else {
                    foreign = true;
                }
            }
        }
        if (ours && !foreign) {
            return Optional.empty();
        }
        LOG.warn("outbound client {} sent mail from another Microsoft 365 tenant (or none{}): refused",
                session.getRemoteAddress(), ours ? ", or fields naming this business beside another tenant's" : "");
        return Optional.of(HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("550")
                .smtpDescription("5.7.1 Relay access denied: the message does not come from this business's"
                        + " Microsoft 365 tenant (X-MS-Exchange-CrossTenant-Id / X-OriginatorOrg)").build());
    }
}
