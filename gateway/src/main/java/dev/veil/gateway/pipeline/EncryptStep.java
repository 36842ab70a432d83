package dev.veil.gateway.pipeline;

import com.codahale.metrics.Timer;
import dev.veil.config.Action;
import dev.veil.crypto.KeyException;
import dev.veil.crypto.MessageSealer;
import dev.veil.crypto.SealReport;
import dev.veil.crypto.SealRequest;
import dev.veil.gateway.core.Spool;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Seals the message for the policy's targets: one encryption for every recipient of the group, the escrow key
 * and named keys; pseudonymised correspondents ({@link Mail#outerValues()}) are shown outside instead of the real
 * ones, which stay inside. Any key or crypto problem becomes a {@link FailClosedException}: nothing goes on in plaintext.
 */
public final class EncryptStep implements MailStep {
    private final Spool spool;
    private final Function<Action.Format, MessageSealer> sealers;
    private final Timer timer;

    public EncryptStep(Spool spool, Function<Action.Format, MessageSealer> sealers, Timer timer) {
        this.spool = spool;
        this.sealers = sealers;
        this.timer = timer;
    }

    @Override
    public String name() {
        return "encrypt";
    }

    @Override
    public boolean applies(Mail mail) {
        return mail.decision().action() instanceof Action.Encrypt && mail.protection() == Mail.Protection.NONE;
    }

    @Override
    public void service(Mail mail) throws Exception {
        Action.Encrypt encrypt = (Action.Encrypt) mail.decision().action();
        List<String> recipients = new ArrayList<>();
        List<String> named = new ArrayList<>();
        boolean escrow = false;
        for (String target : encrypt.to()) {
            switch (target) {
                case "recipient" -> recipients.addAll(mail.recipients());
                case "escrow" -> escrow = true;
                default -> named.add(target);
            }
        }
        // the tag must show where the reader looks first: a protected Subject shows only its placeholder outside (a
        // probe's tagged message showed "[encrypted]" in Outlook's list, the warning only inside)
        String placeholder = mail.dmarcTagged()
                ? AuthenticateStep.DMARC_TAG + " " + (encrypt.subject() == null ? "" : encrypt.subject()).strip()
                : encrypt.subject();
        // this Veil's Received fields show outside, so that smtp.maxHops still ends a loop (VeilTraceFields)
        java.util.Map<String, List<String>> outside = new java.util.HashMap<>(mail.outerValues());
        List<String> trace;
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(mail.content()), 8192)) {
            trace = VeilTraceFields.shown(dev.veil.crypto.HeaderBlock.read(in), mail.id());
        }
        if (!trace.isEmpty()) {
            outside.put("received", trace);
        }
        SealRequest request = new SealRequest(recipients, escrow, named, encrypt.cipher(), placeholder,
                java.util.Set.copyOf(encrypt.protectHeaders()), outside);
        Path out = spool.workFile(mail.id(), "sealed.eml");
        SealReport report;
        try (Timer.Context ignored = timer.time();
             InputStream in = Files.newInputStream(mail.content());
             OutputStream sealed = new BufferedOutputStream(Files.newOutputStream(out), 64 * 1024)) {
            report = sealers.apply(encrypt.format()).seal(in, sealed, request);
        } catch (KeyException e) {
            Files.deleteIfExists(out);
            throw new FailClosedException(e.getMessage(), e);
        } catch (Exception e) {
            Files.deleteIfExists(out);
            throw new FailClosedException("encryption failed: " + e.getMessage(), e);
        }
        mail.replaceContent(out, Mail.Protection.SEALED, report.keyFingerprints());
        if (mail.outerValuesGiven()) {
            mail.markCorrespondentsHidden(); // the pseudonymise step's values are what shows outside
        }
    }
}
