package dev.veil.gateway.pipeline;

import dev.veil.config.Action;
import dev.veil.gateway.relay.Upstream;

/**
 * Hands the content to the upstream. It checks once more that what leaves matches the decision: when the
 * policy says encrypt, only sealed or already-encrypted content may pass, and when it says pseudonymise, only
 * content whose correspondents were replaced — the last line of fail-closed.
 */
public final class RelayStep implements MailStep {
    private final Upstream upstream;

    public RelayStep(Upstream upstream) {
        this.upstream = upstream;
    }

    @Override
    public String name() {
        return "relay";
    }

    @Override
    public boolean applies(Mail mail) {
        return true;
    }

    @Override
    public void service(Mail mail) throws Exception {
        Action action = mail.decision().action();
        if (action instanceof Action.Reject) {
            throw new FailClosedException("a rejected message reached the relay step");
        }
        if (action instanceof Action.Encrypt && mail.protection() == Mail.Protection.NONE) {
            throw new FailClosedException("policy says encrypt but the message was not encrypted; not relaying");
        }
        boolean pseudonymise = mail.decision().rule().pseudonymise()
                .filter(dev.veil.config.Action.Pseudonymise::correspondents).isPresent();
        if (pseudonymise && !mail.correspondentsHidden()) {
            throw new FailClosedException("policy says pseudonymise but the correspondents were not replaced"
                    + " (is 'pseudonymise' in queue.pipeline?); not relaying real addresses");
        }
        upstream.send(mail.id(), mail.outgoing(), mail.relaySender(), mail.recipients());
    }
}
