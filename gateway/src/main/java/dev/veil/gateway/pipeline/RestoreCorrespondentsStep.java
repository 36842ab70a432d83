package dev.veil.gateway.pipeline;

import dev.veil.crypto.HeaderBlock;
import dev.veil.gateway.core.Spool;
import dev.veil.gateway.correspondents.CorrespondentRestorer;
import dev.veil.gateway.correspondents.ReportParts;
import dev.veil.gateway.correspondents.RestorationException;
import dev.veil.gateway.correspondents.TextParts;
import dev.veil.gateway.db.SentMessageIdDao;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outbound: aliases in the header become the real correspondents again (From, Sender, Reply-To, To, Cc; Message-ID,
 * In-Reply-To, References), so the outside world sees a normal reply in the right thread — only those the message
 * goes to (see {@link CorrespondentRestorer}); Bcc fields are removed, as Exchange removes them. Alias addresses in
 * the text a person reads (text/plain and text/html parts: the quoted message a reply holds) are restored under the
 * same rule ({@link TextParts}). If that fails the mail goes to on-error (deferred by default): it never leaves
 * half-restored.
 */
public final class RestoreCorrespondentsStep implements MailStep {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreCorrespondentsStep.class);
    private final Spool spool;
    private final CorrespondentRestorer restorer;
    private final SentMessageIdDao sentIds;
    private final Clock clock;

    /** Restores, without remembering sent Message-IDs. */
    public RestoreCorrespondentsStep(Spool spool, CorrespondentRestorer restorer) {
        this(spool, restorer, null, Clock.systemUTC());
    }

    /**
     * @param sentIds where the Message-ID of every message it passes is remembered, so that replies to it can name it
     *                (inbound, {@link dev.veil.gateway.correspondents.HeaderPseudonymiser}); null: nowhere
     */
    public RestoreCorrespondentsStep(Spool spool, CorrespondentRestorer restorer, SentMessageIdDao sentIds, Clock clock) {
        this.spool = spool;
        this.restorer = restorer;
        this.sentIds = sentIds;
        this.clock = clock;
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
            HeaderBlock header = HeaderBlock.read(in);
            if (sentIds != null) {
                Optional<String> own = restorer.ownMessageId(header);
                if (own.isPresent()) {
                    try {
                        sentIds.record(own.get(), clock.instant());
                    } catch (SQLException e) {
                        // the mail still goes: only a later reply's reference to it would show as a token
                        LOG.warn("{}: cannot remember its Message-ID as sent: {}", mail.id(), e.getMessage());
                    }
                }
            }
            // everyone the message was accepted for, not this rule's group nor only those a retry still owes it
            // to: every recipient gets the same header. Read only if the message holds an alias or token, and once.
            java.util.function.Supplier<java.util.Collection<String>> recipients = new java.util.function.Supplier<>() {
                private java.util.Collection<String> read;

                @Override
                public java.util.Collection<String> get() {
                    if (read == null) {
                        read = spool.acceptedRecipients(mail.id()).orElse(mail.envelopeRecipients());
                    }
                    return read;
                }
            };
            CorrespondentRestorer.Restored restored = restorer.restore(header, recipients);
            Optional<byte[]> report = restoredReport(header, in, restored, recipients);
            int[] text = new int[4]; // parts changed, addresses, unresolved, withheld
            TextParts.TextRewriter textRestorer = (octets, html) -> {
                CorrespondentRestorer.RestoredText part = restorer.restoreText(octets, recipients, html);
                text[1] += part.addresses();
                text[2] += part.unresolved();
                text[3] += part.withheld();
                return part.text();
            };
            try (OutputStream target = new BufferedOutputStream(Files.newOutputStream(out), 64 * 1024)) {
                if (report.isPresent()) {
                    LOG.info("{}: restored the fields of its report parts (multipart/report)", mail.id());
                    // and then its text, as any message's
                    byte[] whole = report.get();
                    HeaderBlock restoredHeader = HeaderBlock.parse(whole);
                    int bodyOffset = restoredHeader.bodyOffset();
                    text[0] = TextParts.copy(header, java.util.Arrays.copyOf(whole, bodyOffset),
                            new java.io.ByteArrayInputStream(whole, bodyOffset, whole.length - bodyOffset), target,
                            textRestorer);
                } else {
                    byte[] consumed = header.consumed();
                    int tail = consumed.length - header.bodyOffset(); // the body's start, read with the header
                    InputStream body = new java.io.SequenceInputStream(
                            new java.io.ByteArrayInputStream(consumed, header.bodyOffset(), tail), in);
                    text[0] = TextParts.copy(header, java.util.Arrays.copyOf(restored.header(),
                            restored.header().length - tail), body, target, textRestorer);
                }
            }
            if (restored.unresolved() + text[2] > 0) {
                LOG.info("{}: {} alias(es) in the header and {} in its text are unknown and stay as they are",
                        mail.id(), restored.unresolved(), text[2]);
            }
            if (restored.withheld() + text[3] > 0) {
                LOG.info("{}: {} alias(es) or message id token(s) stay as they are: the message does not go to whom"
                        + " they stand for", mail.id(), restored.withheld() + text[3]);
            }
            if (!restored.changed() && report.isEmpty() && text[0] == 0) {
                Files.delete(out);
                return;
            }
            LOG.info("{}: restored {} correspondent address(es) and {} message id(s), removed {} Bcc field(s);"
                    + " restored {} address(es) in {} text part(s)", mail.id(), restored.addresses(),
                    restored.messageIds(), restored.blindCopyFields(), text[1], text[0]);
        } catch (RestorationException e) {
            Files.deleteIfExists(out);
            throw new FailClosedException("correspondents could not be restored: " + e.getMessage(), e);
        } catch (Exception e) {
            Files.deleteIfExists(out);
            throw e;
        }
        mail.replaceContent(out, Mail.Protection.NONE, List.of());
    }

    /** Reports larger than this are sent with only their header restored. */
    static final int MAX_REPORT = 1024 * 1024;

    /**
     * For a {@code multipart/report} (a read receipt, a bounce) of at most {@link #MAX_REPORT} octets, the whole
     * message with its header and its field parts restored ({@link ReportParts}), when a part changed; empty for any
     * other message, which {@code in} is then left at where the header reader stopped.
     */
    private Optional<byte[]> restoredReport(HeaderBlock header, InputStream in, CorrespondentRestorer.Restored restored,
                                            java.util.function.Supplier<java.util.Collection<String>> recipients)
            throws java.io.IOException, RestorationException {
        Optional<String> boundary = header.first("Content-Type").flatMap(f -> ReportParts.reportBoundary(f.value()));
        if (boundary.isEmpty()) {
            return Optional.empty();
        }
        in.mark(MAX_REPORT + 1);
        byte[] rest = in.readNBytes(MAX_REPORT + 1);
        if (rest.length > MAX_REPORT) {
            in.reset();
            return Optional.empty();
        }
        byte[] consumed = header.consumed();
        int tail = consumed.length - header.bodyOffset(); // the body's start, read with the header: not rewritten
        byte[] restoredHeader = restored.header();
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream(tail + rest.length);
        body.write(consumed, header.bodyOffset(), tail);
        body.writeBytes(rest);
        byte[] original = body.toByteArray();
        byte[] again = ReportParts.restore(original, boundary.get(), fields -> {
            CorrespondentRestorer.Restored part = restorer.restoreReportFields(fields, recipients);
            return part.changed() ? part.header() : fields.consumed();
        });
        if (again == original) {
            in.reset();
            return Optional.empty();
        }
        java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream(restoredHeader.length + again.length);
        whole.write(restoredHeader, 0, restoredHeader.length - tail);
        whole.writeBytes(again);
        return Optional.of(whole.toByteArray());
    }
}
