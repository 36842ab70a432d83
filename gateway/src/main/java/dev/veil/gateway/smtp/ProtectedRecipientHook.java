package dev.veil.gateway.smtp;

import dev.veil.config.Direction;
import dev.veil.config.Policy;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.RcptHook;

/**
 * Accepts a recipient only in a domain the current policy protects; everything else is {@code 550 5.7.1}.
 * This is the whole of Veil's relay control: it never answers "declined", so no later hook can open a relay.
 * Local parts that route elsewhere ({@code %}-hack, {@code !}-paths, quoted {@code @}) are refused too.
 */
final class ProtectedRecipientHook implements RcptHook {
    private final Supplier<Policy> policy;
    private final int maxRecipients;

    ProtectedRecipientHook(Supplier<Policy> policy, int maxRecipients) {
        this.policy = policy;
        this.maxRecipients = maxRecipients;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt) {
        Optional<HookResult> refused = RecipientChecks.envelopeRefusal(session, rcpt, maxRecipients);
        if (refused.isPresent()) {
            return refused.get();
        }
        Policy current = policy.get();
        if (current == null) {
            return RecipientChecks.policyUnavailable();
        }
        String domain = rcpt.getDomain().asString();
        if (!current.protects(domain)) {
            return RecipientChecks.result(HookReturnCode.deny(), "550",
                    "5.7.1 Relaying denied: " + domain + " is not a domain this gateway protects");
        }
        return RecipientChecks.rejectedByRule(current, Direction.INBOUND, sender, rcpt.asString()).orElse(HookResult.OK);
    }
}
