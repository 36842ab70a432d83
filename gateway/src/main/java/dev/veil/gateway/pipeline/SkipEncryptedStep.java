package dev.veil.gateway.pipeline;

import dev.veil.config.Action;
import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.MessageFormats;
import java.io.InputStream;
import java.nio.file.Files;

/** Mail that is already S/MIME-enveloped or PGP/MIME-encrypted goes on unchanged: it is ciphertext already. */
public final class SkipEncryptedStep implements MailStep {
    @Override
    public String name() {
        return "skip-encrypted";
    }

    @Override
    public boolean applies(Mail mail) {
        return mail.decision().action() instanceof Action.Encrypt && mail.protection() == Mail.Protection.NONE;
    }

    @Override
    public void service(Mail mail) throws Exception {
        try (InputStream in = Files.newInputStream(mail.content())) {
            if (MessageFormats.isAlreadyEncrypted(HeaderBlock.read(in))) {
                mail.markAlreadyEncrypted();
                mail.note("already encrypted");
            }
        }
    }
}
