package dev.veil.gateway.smtp;

import dev.veil.config.Action;
import dev.veil.config.Decision;
import dev.veil.config.Direction;
import dev.veil.config.Policy;
import java.util.List;
import java.util.Optional;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;

/** The RCPT checks both listeners make, in the same words, so the two relay controls cannot drift apart. */
final class RecipientChecks {
    private RecipientChecks() {
    }

    /**
     * Set on the session when a recipient got {@code 452} for the limit alone, for {@link ErrorLimit}: such replies are
     * not errors of the client's (RFC 5321 4.5.3.1.10 expects a client to send the rest in another transaction), up to
     * an overshoot as Postfix's {@code smtpd_recipient_overshoot_limit}.
     */
    static final ProtocolSession.AttachmentKey<Boolean> OVER_RECIPIENT_LIMIT =
            ProtocolSession.AttachmentKey.of("veil.over-recipient-limit", Boolean.class);

    /**
     * Too many recipients ({@code 452}), or a local part that routes elsewhere ({@code %}-hack, {@code !}-paths,
     * quoted {@code @}: {@code 550}). A mailbox the transaction already names is not one more (it gets one copy).
     *
     * @param foldLocalParts whether local parts compare without case, as the spool merges them
     *                       ({@link SpoolMessageHook#onceEach})
     */
    static Optional<HookResult> envelopeRefusal(SMTPSession session, MailAddress rcpt, int maxRecipients,
                                                boolean foldLocalParts) {
        List<MailAddress> already = session.getAttachment(SMTPSession.RCPT_LIST, ProtocolSession.State.Transaction)
                .orElse(List.of());
        if (already.size() >= maxRecipients && overLimit(already, rcpt, maxRecipients, foldLocalParts)) {
            session.setAttachment(OVER_RECIPIENT_LIMIT, true, ProtocolSession.State.Connection);
            return Optional.of(result(HookReturnCode.denySoft(), "452",
                    "4.5.3 Too many recipients (limit " + maxRecipients + ")"));
        }
        if (routesElsewhere(rcpt.getLocalPart())) {
            return Optional.of(result(HookReturnCode.deny(), "550",
                    "5.7.1 Relaying denied: routing characters in the local part"));
        }
        return Optional.empty();
    }

    /**
     * Whether {@code rcpt} would be a mailbox beyond the first {@code max} distinct ones of {@code already}; past ten
     * times {@code max} named in all, any is (repeats would otherwise grow the transaction without end).
     */
    private static boolean overLimit(List<MailAddress> already, MailAddress rcpt, int max, boolean foldLocalParts) {
        if (already.size() >= 10L * max) {
            return true;
        }
        List<String> named = new java.util.ArrayList<>(already.size());
        for (MailAddress address : already) {
            named.add(address.asString());
        }
        List<String> distinct = SpoolMessageHook.onceEach(named, foldLocalParts);
        if (distinct.size() < max) {
            return false;
        }
        named.add(rcpt.asString());
        return SpoolMessageHook.onceEach(named, foldLocalParts).size() > distinct.size();
    }

    /** A local part that names another destination: {@code %}-hack, {@code !}-path, quoted or holding an {@code @}. */
    static boolean routesElsewhere(String localPart) {
        return localPart.indexOf('%') >= 0 || localPart.indexOf('!') >= 0 || localPart.indexOf('@') >= 0
                || localPart.startsWith("\"");
    }

    /** No valid policy loaded: "later", so the sender keeps the message until the admin fixes it. */
    static HookResult policyUnavailable() {
        return result(HookReturnCode.denySoft(), "451", "4.3.5 Gateway policy unavailable, try again later");
    }

    /** A rule that rejects is applied at RCPT, so the sender hears it at once instead of getting a bounce later. */
    static Optional<HookResult> rejectedByRule(Policy policy, Direction direction, MaybeSender sender,
                                               String recipient) {
        String from = sender.asOptional().map(MailAddress::asString).orElse("");
        Optional<Decision> decision = policy.decide(direction, from, recipient);
        if (decision.isPresent() && decision.get().action() instanceof Action.Reject reject) {
            return Optional.of(result(HookReturnCode.deny(), "550", "5.7.1 " + reject.message()));
        }
        return Optional.empty();
    }

    static HookResult result(HookReturnCode code, String smtpCode, String text) {
        return HookResult.builder().hookReturnCode(code).smtpReturnCode(smtpCode).smtpDescription(text).build();
    }
}
