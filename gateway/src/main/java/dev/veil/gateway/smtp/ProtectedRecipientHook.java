package dev.veil.gateway.smtp;

import dev.veil.config.Action;
import dev.veil.config.Decision;
import dev.veil.config.Direction;
import dev.veil.config.Policy;
import java.util.Optional;
import java.util.List;
import java.util.function.Supplier;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
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
        int already = session.getAttachment(SMTPSession.RCPT_LIST, ProtocolSession.State.Transaction)
                .map(List::size).orElse(0);
        if (already >= maxRecipients) {
            return result(HookReturnCode.denySoft(), "452", "4.5.3 Too many recipients (limit " + maxRecipients + ")");
        }
        String local = rcpt.getLocalPart();
        if (local.indexOf('%') >= 0 || local.indexOf('!') >= 0 || local.indexOf('@') >= 0 || local.startsWith("\"")) {
            return result(HookReturnCode.deny(), "550", "5.7.1 Relaying denied: routing characters in the local part");
        }
        Policy current = policy.get();
        if (current == null) {
            // no valid policy loaded: say "later", so the sender keeps the message until the admin fixes it
            return result(HookReturnCode.denySoft(), "451", "4.3.5 Gateway policy unavailable, try again later");
        }
        String domain = rcpt.getDomain().asString();
        if (!current.protects(domain)) {
            return result(HookReturnCode.deny(), "550",
                    "5.7.1 Relaying denied: " + domain + " is not a domain this gateway protects");
        }
        // a rule that rejects is applied here, so the sender hears it at once instead of getting a bounce later
        String from = sender.asOptional().map(MailAddress::asString).orElse("");
        Optional<Decision> decision = current.decide(Direction.INBOUND, from, rcpt.asString());
        if (decision.isPresent() && decision.get().action() instanceof Action.Reject reject) {
            return result(HookReturnCode.deny(), "550", "5.7.1 " + reject.message());
        }
        return HookResult.OK;
    }

    private static HookResult result(HookReturnCode code, String smtpCode, String text) {
        return HookResult.builder().hookReturnCode(code).smtpReturnCode(smtpCode).smtpDescription(text).build();
    }
}
