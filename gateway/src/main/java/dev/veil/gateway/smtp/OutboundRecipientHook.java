package dev.veil.gateway.smtp;

import dev.veil.config.Direction;
import dev.veil.config.Policy;
import dev.veil.gateway.correspondents.CorrespondentRestorer;
import dev.veil.gateway.correspondents.Reidentifier;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RCPT on the outbound listener. Only a trusted submitter (allowed network or authenticated) gets any recipient
 * accepted; an alias recipient must resolve to a real address — which is what the envelope then carries — or it is
 * {@code 550 5.1.1}; a rule with {@code direction: outbound} that rejects is applied here. Like the inbound hook it
 * never answers "declined", so no later hook can open a relay.
 */
final class OutboundRecipientHook implements RcptHook {
    private static final Logger LOG = LoggerFactory.getLogger(OutboundRecipientHook.class);
    /** Alias recipient (as received) to real address, for the spool hook; per transaction. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static final ProtocolSession.AttachmentKey<Map<String, String>> RESOLVED =
            (ProtocolSession.AttachmentKey) ProtocolSession.AttachmentKey.of("veil.outbound.resolved", Map.class);

    private final OutboundSubmitter submitter;
    private final Supplier<Policy> policy;
    private final Reidentifier reidentifier;
    private final int maxRecipients;

    OutboundRecipientHook(OutboundSubmitter submitter, Supplier<Policy> policy, Reidentifier reidentifier,
                          int maxRecipients) {
        this.submitter = submitter;
        this.policy = policy;
        this.reidentifier = reidentifier;
        this.maxRecipients = maxRecipients;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt) {
        if (!submitter.trusted(session)) {
            return result(HookReturnCode.deny(), "554", "5.7.1 Relay access denied");
        }
        Optional<HookResult> refused = RecipientChecks.envelopeRefusal(session, rcpt, maxRecipients, false);
        if (refused.isPresent()) {
            return refused.get();
        }
        Policy current = policy.get();
        if (current == null) {
            return RecipientChecks.policyUnavailable();
        }
        String address = rcpt.asString();
        String envelopeAddress = address;
        Optional<String> real;
        try {
            real = reidentifier.isAliasAddress(address) ? reidentifier.realAddress(address) : null;
        } catch (RuntimeException e) {
            LOG.error("alias resolution failed at RCPT: {}", e.getMessage());
            return result(HookReturnCode.denySoft(), "451", "4.3.0 Alias lookup failed, try again later");
        }
        if (real != null) {
            if (real.isEmpty()) {
                return result(HookReturnCode.deny(), "550",
                        "5.1.1 Recipient address rejected: " + address + " is not a known alias");
            }
            // answers for what the directory holds are permanent: asking again gives the same address. Every address
            // Veil cannot relay to gets the same words: the reply reaches Exchange (and the sender's copy of the
            // non-delivery report), and what kind of address stands behind the alias is the correspondent's business
            String unrelayable = unrelayable(real.get());
            if (unrelayable != null) {
                LOG.warn("RCPT {}: the real address behind it {}", address, unrelayable);
                return result(HookReturnCode.deny(), "550", "5.1.1 Recipient address rejected: " + address
                        + " stands for an address Veil cannot relay to (the reason is in Veil's log)");
            }
            envelopeAddress = real.get();
        }
        Optional<HookResult> rejected =
                RecipientChecks.rejectedByRule(current, Direction.OUTBOUND, sender, envelopeAddress);
        if (rejected.isPresent()) {
            return rejected.get();
        }
        if (!envelopeAddress.equals(address)) {
            Map<String, String> resolved = session.getAttachment(RESOLVED, ProtocolSession.State.Transaction)
                    .orElseGet(LinkedHashMap::new);
            resolved.put(address, envelopeAddress);
            session.setAttachment(RESOLVED, resolved, ProtocolSession.State.Transaction);
        }
        return HookResult.OK;
    }

    /** Why Veil cannot put {@code real} in an envelope as it is, or null when it can. */
    private static String unrelayable(String real) {
        if (!real.chars().allMatch(c -> c < 0x80)) {
            // an SMTPUTF8 address: this relay path does not offer SMTPUTF8, and a mangled address is a misdelivery
            return "is non-ASCII, which needs SMTPUTF8; Veil relays ASCII addresses only";
        }
        if (!CorrespondentRestorer.isPlainAddress(real)) {
            return "is not a plain address (a quoted local part, an address literal or no domain)";
        }
        if (RecipientChecks.routesElsewhere(real.substring(0, real.lastIndexOf('@')))) {
            // what the envelope check refuses when typed directly (550 5.7.1) must not go out via its alias
            return "has routing characters (% or !) in its local part";
        }
        String domain = real.substring(real.lastIndexOf('@') + 1);
        if (!domain.matches("(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\\.?")) {
            // a@partner..example (a black-box probe's alias of it was relayed to that invalid address)
            return "has a domain that is not a valid host name";
        }
        return null;
    }

    private static HookResult result(HookReturnCode code, String smtpCode, String text) {
        return RecipientChecks.result(code, smtpCode, text);
    }
}
