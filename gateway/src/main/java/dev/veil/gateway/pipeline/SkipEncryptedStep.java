package dev.veil.gateway.pipeline;

import dev.veil.config.Action;
import dev.veil.crypto.EncryptedContentCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mail that is already S/MIME-enveloped or PGP/MIME-encrypted goes on unchanged: it is ciphertext already.
 * The header is only the sender's claim, so the body is checked to really be CMS enveloped data or an OpenPGP
 * encrypted message; anything else labelled as encrypted is encrypted like any other message. A rule with
 * {@code already-encrypted: encrypt} skips this step, so such mail is encrypted again and its outer header hidden.
 */
public final class SkipEncryptedStep implements MailStep {
    private static final Logger LOG = LoggerFactory.getLogger(SkipEncryptedStep.class);

    @Override
    public String name() {
        return "skip-encrypted";
    }

    @Override
    public boolean applies(Mail mail) {
        return mail.decision().action() instanceof Action.Encrypt encrypt
                && encrypt.alreadyEncrypted() == Action.AlreadyEncrypted.PASS
                && mail.protection() == Mail.Protection.NONE;
    }

    @Override
    public void service(Mail mail) throws Exception {
        EncryptedContentCheck.Verdict verdict = EncryptedContentCheck.check(mail.content());
        if (verdict.encrypted()) {
            mail.markAlreadyEncrypted();
            mail.note("already encrypted: " + verdict.reason());
        } else {
            LOG.debug("{}: not already encrypted ({})", mail.id(), verdict.reason());
        }
    }
}
