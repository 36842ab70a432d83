package dev.veil.gateway.pipeline;

import dev.veil.config.Action;
import dev.veil.crypto.EncryptedContentCheck;
import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import dev.veil.gateway.core.Spool;
import dev.veil.gateway.correspondents.HeaderPseudonymiser;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Replaces external correspondents with aliases for rules with {@code pseudonymise.correspondents: true}: From,
 * Sender, Reply-To, To, Cc, Message-ID, In-Reply-To, References and the envelope sender (see
 * {@link HeaderPseudonymiser}).
 *
 * <p>Mail to be encrypted is not changed here: the values go to the encrypt step, which shows them outside and
 * keeps the real header inside (RFC 9788); only routing fields are shown outside at all, so Received,
 * DKIM-Signature and the other trace fields stay inside too. Mail that is not encrypted ({@code pass}, or already
 * encrypted by its sender) gets a new header: the pseudonymised fields and the {@link #KEPT} fields, nothing else —
 * the real correspondents of such mail are then not recoverable from Exchange's copy.
 *
 * <p>Any failure (a From, Sender or Reply-To field that cannot be read, an alias collision, the directory or keys
 * unavailable) is a {@link FailClosedException}: the message waits, it never goes out with real addresses. A To or
 * Cc field that cannot be read shows as {@code undisclosed-recipients:;} instead (noted in the audit record).
 */
public final class PseudonymiseStep implements MailStep {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PseudonymiseStep.class);
    /**
     * Fields a rewritten (unencrypted) header keeps besides the pseudonymised ones: content, date and display fields
     * that name no correspondent and no host. Everything else is left out — Received, Return-Path, DKIM-Signature,
     * ARC-*, Authentication-Results, Received-SPF, X-Originating-IP, List-*, X-Mailer, User-Agent, Organization,
     * Disposition-Notification-To, Return-Receipt-To, Errors-To, Delivered-To, X-Original-To, Resent-*, Bcc,
     * Autocrypt, Content-ID, X-MS-* and any other X- field.
     */
    static final Set<String> KEPT = Set.of("subject", "date", "mime-version", "content-type",
            "content-transfer-encoding", "content-disposition", "content-description", "content-language",
            "importance", "priority", "x-priority", "sensitivity", "thread-topic", "thread-index", "auto-submitted",
            "precedence", "x-auto-response-suppress");

    private final Spool spool;
    private final HeaderPseudonymiser pseudonymiser;
    private final PartyRecorder parties;

    /**
     * Where a message's correspondents are recorded as knowing its Message-IDs, so that a reply to them may name those
     * ids again ({@link dev.veil.gateway.db.MessageIdPartyDao}).
     */
    @FunctionalInterface
    public interface PartyRecorder {
        PartyRecorder NOWHERE = (ids, parties) -> { };

        /**
         * @param ids     the real ids that became tokens, without angle brackets
         * @param parties the correspondents, by alias local part
         */
        void record(List<String> ids, Set<String> parties) throws Exception;
    }

    /** Records no parties: replies leaving through Veil then never name the real ids (tests). */
    public PseudonymiseStep(Spool spool, HeaderPseudonymiser pseudonymiser) {
        this(spool, pseudonymiser, PartyRecorder.NOWHERE);
    }

    public PseudonymiseStep(Spool spool, HeaderPseudonymiser pseudonymiser, PartyRecorder parties) {
        this.spool = spool;
        this.pseudonymiser = pseudonymiser;
        this.parties = parties;
    }

    @Override
    public String name() {
        return "pseudonymise";
    }

    @Override
    public boolean applies(Mail mail) {
        return !(mail.decision().action() instanceof Action.Reject)
                && mail.decision().rule().pseudonymise().filter(Action.Pseudonymise::correspondents).isPresent();
    }

    @Override
    public void service(Mail mail) throws Exception {
        Action.Pseudonymise rule = mail.decision().rule().pseudonymise().orElseThrow();
        boolean sealedLater = mail.decision().action() instanceof Action.Encrypt
                && mail.protection() == Mail.Protection.NONE;
        HeaderPseudonymiser.Result result;
        // only the header is read here: a buffer the size of a large header, not of the message (64 KiB allocated per
        // message was most of what this step made the garbage collector do)
        try (InputStream in = new BufferedInputStream(Files.newInputStream(mail.content()), 8 * 1024)) {
            HeaderBlock header = HeaderBlock.read(in);
            if (!sealedLater && !header.complete()) {
                // the rewrite keeps only the fields it knows: header lines after the one it could not read would
                // go on as "body", real addresses and all (when sealed, they are inside the encryption)
                throw new FailClosedException("pseudonymisation failed: the header has a line that is neither a"
                        + " field nor a continuation, or is over " + HeaderBlock.MAX_BYTES / 1024 + " KiB, before its"
                        + " end: which lines are header cannot be told, so it cannot be rewritten without real"
                        + " addresses");
            }
            result = pseudonymiser.pseudonymise(header, mail.sender(), mail.policy(), rule);
        } catch (HeaderPseudonymiser.PseudonymisationException e) {
            throw new FailClosedException("pseudonymisation failed: " + e.getMessage(), e);
        } catch (RuntimeException e) { // keys or policy unavailable
            throw new FailClosedException("pseudonymisation failed: " + e.getMessage(), e);
        }
        try {
            parties.record(result.tokenisedIds(), result.parties());
        } catch (Exception e) {
            // the message still goes: a reply naming these ids later keeps their tokens (a thread the correspondent's
            // mail program may not join), it never reveals more
            LOG.warn("{}: cannot record who knows its Message-IDs: {}", mail.id(), e.getMessage());
        }
        if (sealedLater) {
            mail.pseudonymiseOuterHeader(result.fieldValues(), result.envelopeSender());
        } else {
            Path out = spool.workFile(mail.id(), "pseudonymised.eml");
            try {
                rewriteHeader(mail.content(), out, result.fieldValues(), opaqueBody(mail), mail.id());
            } catch (Exception e) {
                Files.deleteIfExists(out);
                throw new FailClosedException("pseudonymisation failed: cannot write the rewritten message: "
                        + e.getMessage(), e);
            }
            mail.replaceHeader(out, result.envelopeSender());
        }
        String unreadable = result.unreadable().isEmpty() ? "" : "; shown as " + HeaderPseudonymiser.UNREADABLE
                + ", unreadable: " + String.join("; ", result.unreadable());
        if (!unreadable.isEmpty()) {
            LOG.info("{}: {} field(s) could not be read and show as {}: {}", mail.id(), result.unreadable().size(),
                    HeaderPseudonymiser.UNREADABLE, String.join("; ", result.unreadable()));
        }
        mail.note((mail.note().isEmpty() ? "" : mail.note() + "; ") + "pseudonymised " + result.aliases()
                + " correspondent address(es) at " + rule.aliasDomain() + unreadable);
    }

    /**
     * Whether the body is ciphertext, so that the header is all Exchange can read of the message: marked so by the
     * skip-encrypted step, or (under a {@code pass} rule, where that step does not run) checked here the same way.
     */
    private static boolean opaqueBody(Mail mail) throws java.io.IOException {
        return mail.protection() == Mail.Protection.ALREADY_ENCRYPTED
                || EncryptedContentCheck.check(mail.content()).encrypted();
    }

    /**
     * The message with only {@link #KEPT} fields, as {@link KeptFieldValues} shows them, and the pseudonymised values in
     * its header; the body unchanged.
     *
     * @param opaqueBody whether the body is already encrypted (then the header is all that Exchange can read)
     */
    static void rewriteHeader(Path from, Path to, Map<String, List<String>> values, boolean opaqueBody)
            throws Exception {
        rewriteHeader(from, to, values, opaqueBody, null);
    }

    /** As above, with this Veil's Received fields for the message {@code id} on top ({@link VeilTraceFields}). */
    static void rewriteHeader(Path from, Path to, Map<String, List<String>> values, boolean opaqueBody,
                              dev.veil.gateway.core.QueueId id) throws Exception {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(from), 64 * 1024);
             OutputStream out = new BufferedOutputStream(Files.newOutputStream(to), 64 * 1024)) {
            HeaderBlock header = HeaderBlock.read(in);
            if (id != null) {
                for (String trace : VeilTraceFields.shown(header, id)) {
                    out.write(HeaderField.folded("Received", trace));
                }
            }
            Set<String> written = new HashSet<>();
            for (HeaderField field : header.fields()) {
                String name = field.name().toLowerCase(Locale.ROOT);
                List<String> replacement = values.get(name);
                if (replacement != null) {
                    if (written.add(name)) {
                        for (String value : replacement) {
                            out.write(HeaderField.folded(field.name(), value));
                        }
                    }
                } else if (KEPT.contains(name)) {
                    String value = field.value();
                    Optional<String> shown = KeptFieldValues.shown(name, value, opaqueBody);
                    if (shown.isEmpty()) {
                        continue;
                    }
                    if (shown.get().equals(value)) { // as written: the bytes and folding stay as the sender made them
                        field.writeTo(out);
                        byte[] raw = field.raw();
                        if (raw[raw.length - 1] != '\n') {
                            out.write(new byte[] {'\r', '\n'});
                        }
                    } else if (shown.get().chars().allMatch(c -> c < 0x80) && !shown.get().contains("  ")) {
                        out.write(HeaderField.folded(field.name(), shown.get()));
                    } else { // UTF-8 (RFC 6532) or spaces that folding would join: one line, as it was read
                        out.write((field.name() + ": " + shown.get() + "\r\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
            }
            out.write(new byte[] {'\r', '\n'});
            byte[] consumed = header.consumed();
            out.write(consumed, header.bodyOffset(), consumed.length - header.bodyOffset());
            in.transferTo(out);
        }
    }
}
