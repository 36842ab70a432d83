package dev.veil.gateway.pipeline;

import dev.veil.crypto.HeaderBlock;
import dev.veil.gateway.core.Spool;
import dev.veil.gateway.correspondents.CorrespondentRestorer;
import dev.veil.gateway.correspondents.RestorationException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outbound: aliases in the header become the real correspondents again (From, Sender, Reply-To, To, Cc; Message-ID,
 * In-Reply-To, References), so the outside world sees a normal reply in the right thread. If that fails the mail
 * goes to on-error (deferred by default): it never leaves half-restored.
 */
public final class RestoreCorrespondentsStep implements MailStep {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreCorrespondentsStep.class);
    private final Spool spool;
    private final CorrespondentRestorer restorer;

    public RestoreCorrespondentsStep(Spool spool, CorrespondentRestorer restorer) {
        this.spool = spool;
        this.restorer = restorer;
    }

    @Override
    public String name() {
        return "restore-correspondents";
    }

    @Override
    public boolean applies(Mail mail) {
        return mail.protection() == Mail.Protection.NONE;
    }

    @Override
    public void service(Mail mail) throws Exception {
        Path out = spool.workFile(mail.id(), "restored.eml");
        try (InputStream in = new BufferedInputStream(Files.newInputStream(mail.content()), 64 * 1024)) {
            CorrespondentRestorer.Restored restored = restorer.restore(HeaderBlock.read(in));
            if (restored.unresolved() > 0) {
                LOG.info("{}: {} alias(es) in the header are unknown and stay as they are", mail.id(),
                        restored.unresolved());
            }
            if (!restored.changed()) {
                return;
            }
            try (OutputStream target = new BufferedOutputStream(Files.newOutputStream(out), 64 * 1024)) {
                target.write(restored.header());
                in.transferTo(target);
            }
            LOG.info("{}: restored {} correspondent address(es) and {} message id(s)", mail.id(),
                    restored.addresses(), restored.messageIds());
        } catch (RestorationException e) {
            Files.deleteIfExists(out);
            throw new FailClosedException("correspondents could not be restored: " + e.getMessage(), e);
        } catch (Exception e) {
            Files.deleteIfExists(out);
            throw e;
        }
        mail.replaceContent(out, Mail.Protection.NONE, List.of());
    }
}
