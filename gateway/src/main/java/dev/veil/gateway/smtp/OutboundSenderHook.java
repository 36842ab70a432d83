package dev.veil.gateway.smtp;

import dev.veil.config.Policy;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;

/**
 * MAIL FROM on the outbound listener: a client that is neither in an allowed network, nor presenting a trusted
 * certificate, nor authenticated is told to
 * authenticate (or, when AUTH is not available to it, that relaying is denied). Every sender must be an address of
 * a domain the policy protects — the null sender too, except from a trusted peer (Exchange's bounces): a stolen
 * password, or another Microsoft 365 tenant's connector in the shared ranges, does not turn Veil into a relay for
 * any domain.
 */
final class OutboundSenderHook implements MailHook {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OutboundSenderHook.class);
    private final OutboundSubmitter submitter;
    private final Supplier<Policy> policy;
    private final boolean authOffered;
    private final Map<String, AccountSenders> sendersByAccount;

    OutboundSenderHook(OutboundSubmitter submitter, Supplier<Policy> policy, boolean authOffered,
                       Map<String, AccountSenders> sendersByAccount) {
        this.submitter = submitter;
        this.policy = policy;
        this.authOffered = authOffered;
        this.sendersByAccount = Map.copyOf(sendersByAccount);
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        boolean trustedPeer = submitter.trustedPeer(session);
        submitter.certificate(session).ifPresent(certificate -> LOG.info("outbound client {} presented a certificate"
                + " ({}): {}", session.getRemoteAddress(), trustedPeer ? "relay allowed" : "not trusted", certificate));
        if (!trustedPeer && !OutboundSubmitter.authenticated(session)) {
            return authOffered
                    ? result("530", "5.7.0 Authentication required (STARTTLS, then AUTH)")
                    : result("554", "5.7.1 Relay access denied: this client may not send through this gateway");
        }
        if (trustedPeer && sender.isNullSender()) {
            return HookResult.DECLINED; // Exchange's own bounces
        }
        Policy current = policy.get();
        if (current == null) {
            return HookResult.builder().hookReturnCode(HookReturnCode.denySoft()).smtpReturnCode("451")
                    .smtpDescription("4.3.5 Gateway policy unavailable, try again later").build();
        }
        String domain = sender.asOptional().map(MailAddress::getDomain).map(d -> d.asString()).orElse(null);
        if (domain == null || !current.protects(domain)) {
            // Exchange Online's outbound ranges and its connector certificate are shared by every Microsoft 365
            // tenant: trusting them must not make Veil a relay for anyone else's mail
            return result("553", trustedPeer
                    ? "5.7.1 Sender address rejected: mail from the business's mail system must come from a domain"
                    + " this gateway protects (or be a bounce)"
                    : "5.7.1 Sender address rejected: an authenticated user sends only as an address"
                    + " of a domain this gateway protects");
        }
        if (sender.asOptional().map(a -> RecipientChecks.routesElsewhere(a.getLocalPart())).orElse(false)) {
            // x%evil.example@example.com names another destination: a bounce to it would be routed on from there
            // (a black-box probe's were taken, while the same local parts at RCPT got 550 5.7.1)
            return result("553", "5.7.1 Sender address rejected: routing characters in the local part");
        }
        if (OutboundSubmitter.authenticated(session)) {
            String user = session.getUsername().asString();
            AccountSenders allowed = sendersByAccount.getOrDefault(user, AccountSenders.ANY);
            if (!allowed.allows(sender.get())) {
                // Postfix's words for reject_sender_login_mismatch
                return result("553", "5.7.1 Sender address rejected: not owned by user " + user);
            }
        }
        return HookResult.DECLINED;
    }

    private static HookResult result(String code, String text) {
        return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode(code).smtpDescription(text)
                .build();
    }
}
