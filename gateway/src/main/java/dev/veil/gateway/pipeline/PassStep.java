package dev.veil.gateway.pipeline;

import dev.veil.config.Action;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Policy says pass: the message goes on unchanged, and the rule's reason is logged with every one. */
public final class PassStep implements MailStep {
    private static final Logger LOG = LoggerFactory.getLogger(PassStep.class);

    @Override
    public String name() {
        return "pass";
    }

    @Override
    public boolean applies(Mail mail) {
        return mail.decision().action() instanceof Action.Pass;
    }

    @Override
    public void service(Mail mail) {
        String reason = ((Action.Pass) mail.decision().action()).reason();
        LOG.warn("{}: passed without encryption by rule '{}': {}", mail.id(), mail.decision().rule().name(), reason);
        mail.note("pass: " + reason);
    }
}
