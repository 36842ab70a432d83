package dev.veil.gateway.pipeline;

import dev.veil.config.Action;
import dev.veil.gateway.relay.PermanentFailureException;

/** Policy says reject: the message bounces with the policy's text (RCPT already refuses most of these). */
public final class RejectStep implements MailStep {
    @Override
    public String name() {
        return "reject";
    }

    @Override
    public boolean applies(Mail mail) {
        return mail.decision().action() instanceof Action.Reject;
    }

    @Override
    public void service(Mail mail) throws PermanentFailureException {
        Action.Reject reject = (Action.Reject) mail.decision().action();
        throw new PermanentFailureException("550 5.7.1 " + reject.message());
    }
}
