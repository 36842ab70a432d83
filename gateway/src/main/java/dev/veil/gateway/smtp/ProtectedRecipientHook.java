package dev.veil.gateway.smtp;

import dev.veil.config.Direction;
import dev.veil.config.Policy;
import dev.veil.gateway.correspondents.VaultReidentifier;
import java.util.Locale;
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
        Policy current = policy.get();
        if (current == null) {
            return RecipientChecks.policyUnavailable();
        }
        String domain = rcpt.getDomain().asString();
        // the relay check before the recipient limit: a relay attempt past the limit is an error (550), not a 452
        // that the error limit forgives (a black-box probe)
        boolean protectedDomain = current.protects(domain);
        Optional<HookResult> refused = protectedDomain
                ? RecipientChecks.envelopeRefusal(session, rcpt, maxRecipients, true) : Optional.empty();
        if (refused.isPresent()) {
            return refused.get();
        }
        if (!protectedDomain) {
            if (isAliasDomain(current, domain)) {
                // the alias domain has its MX here, so mail to an alias (from a forwarded header, say) arrives on
                // this port; an alias takes mail only from the business, through the outbound listener, or anyone
                // could write to the correspondent behind it. Whether the alias exists is not said.
                return RecipientChecks.result(HookReturnCode.deny(), "550", "5.7.1 " + domain
                        + " holds aliases that take mail only from the business they belong to");
            }
            return RecipientChecks.result(HookReturnCode.deny(), "550",
                    "5.7.1 Relaying denied: " + domain + " is not a domain this gateway protects");
        }
        return RecipientChecks.rejectedByRule(current, Direction.INBOUND, sender, rcpt.asString()).orElse(HookResult.OK);
    }

    /** A pseudonymising rule's alias domain, or the contacts' alias domain. */
    private static boolean isAliasDomain(Policy policy, String domain) {
        String lower = domain.toLowerCase(Locale.ROOT);
        while (lower.endsWith(".")) {
            lower = lower.substring(0, lower.length() - 1);
        }
        return VaultReidentifier.aliasDomains(policy).contains(lower)
                || (policy.contacts() != null && lower.equals(policy.contacts().aliasDomain()));
    }
}
