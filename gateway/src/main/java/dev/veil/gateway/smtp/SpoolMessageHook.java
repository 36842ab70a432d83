package dev.veil.gateway.smtp;

import dev.veil.config.Direction;
import dev.veil.crypto.HeaderBlock;
import dev.veil.gateway.SmtpSettings;
import dev.veil.gateway.core.Envelope;
import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.Spool;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.core.MailAddress;
import org.apache.james.protocols.smtp.MailEnvelope;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MessageHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * End of DATA: the message becomes durable (file fsync'd, renamed into the queue, directory fsync'd, row
 * committed) and only then does the client hear {@code 250}. Any failure is a {@code 451}: the client keeps the
 * message and tries again.
 */
final class SpoolMessageHook implements MessageHook {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolMessageHook.class);
    private final Spool spool;
    private final long maxSize;
    private final Consumer<QueueId> onQueued;
    private final Direction direction;
    private final ExchangeTenantCheck tenantCheck;
    private final int maxHops;

    SpoolMessageHook(Spool spool, long maxSize, Consumer<QueueId> onQueued) {
        this(spool, maxSize, onQueued, Direction.INBOUND);
    }

    SpoolMessageHook(Spool spool, long maxSize, Consumer<QueueId> onQueued, Direction direction) {
        this(spool, maxSize, onQueued, direction, null, SmtpSettings.DEFAULT_MAX_HOPS);
    }

    /**
     * @param tenantCheck outbound: whose mail a trusted peer may hand over (null: no check)
     * @param maxHops most Received fields a message may carry, Veil's own included ({@code smtp.maxHops})
     */
    SpoolMessageHook(Spool spool, long maxSize, Consumer<QueueId> onQueued, Direction direction,
                     ExchangeTenantCheck tenantCheck, int maxHops) {
        this.spool = spool;
        this.maxSize = maxSize;
        this.onQueued = onQueued;
        this.direction = direction;
        this.tenantCheck = tenantCheck;
        this.maxHops = maxHops;
    }

    @Override
    public HookResult onMessage(SMTPSession session, MailEnvelope mail) {
        session.startDetectingCommandInjection(); // back in command mode (see SpoolingDataCmdHandler)
        SpoolingEnvelope envelope = (SpoolingEnvelope) mail;
        if (envelope.message().tooBig()) {
            envelope.message().discard();
            LOG.info("refused a message of more than {} octets", maxSize);
            return reply(HookReturnCode.deny(), "552", "5.3.4 Message size exceeds fixed maximum message size of "
                    + maxSize + " octets");
        }
        try {
            HeaderBlock header = envelope.message().header();
            if (header.overLimit()) {
                // the fields past the limit would escape sender authentication and the rewrite of the header
                envelope.message().discard();
                LOG.info("refused a message whose header is over {} octets", HeaderBlock.MAX_BYTES);
                return reply(HookReturnCode.deny(), "552", "5.3.4 Message header exceeds fixed maximum of "
                        + HeaderBlock.MAX_BYTES + " octets");
            }
            int hops = header.all("Received").size();
            if (hops > maxHops) {
                // a loop (e.g. Exchange's connector and Veil's relay pointing at each other) ends here, not never
                envelope.message().discard();
                LOG.warn("refused a message with {} Received fields (more than smtp.maxHops {}): a mail loop?", hops,
                        maxHops);
                return reply(HookReturnCode.deny(), "554", "5.4.6 Too many hops: " + hops
                        + " Received fields, a mail loop?");
            }
            if (!header.complete()) {
                // a line that is neither a field nor a continuation: it and what follows are body, for everyone
                envelope.message().insertEmptyLineAt(header.bodyOffset());
                LOG.info("a line in the header that is not a field ended it after {} field(s): an empty line now"
                        + " separates the body", header.fields().size());
            }
            if (tenantCheck != null) {
                java.util.Optional<HookResult> refused = tenantCheck.refusal(session, header);
                if (refused.isPresent()) {
                    envelope.message().discard();
                    return refused.get();
                }
            }
            // outbound: alias recipients were resolved at RCPT; the envelope carries the real addresses, once each
            Map<String, String> resolved = session.getAttachment(OutboundRecipientHook.RESOLVED,
                    ProtocolSession.State.Transaction).orElse(Map.of());
            Envelope queued = new Envelope(
                    mail.getMaybeSender().asOptional().map(MailAddress::asString).orElse(""),
                    onceEach(mail.getRecipients().stream().map(MailAddress::asString)
                            .map(r -> resolved.getOrDefault(r, r)).toList(), direction == Direction.INBOUND),
                    clientAddress(session),
                    session.getAttachment(SMTPSession.CURRENT_HELO_NAME, ProtocolSession.State.Connection).orElse(""));
            QueueId id = spool.accept(envelope.message(), queued, direction);
            LOG.info("{}: queued {}, {} octets, {} recipient(s)", id, direction.name().toLowerCase(Locale.ROOT),
                    envelope.message().size(), queued.recipients().size());
            onQueued.accept(id);
            return reply(HookReturnCode.ok(), "250", "2.0.0 Ok: queued as " + id);
        } catch (IOException | RuntimeException e) {
            LOG.error("could not queue a message: {}", e.getMessage(), e);
            return reply(HookReturnCode.denySoft(), "451", "4.3.0 Temporary local problem, please try again later");
        }
    }

    /**
     * The recipients once each, in the order and spelling first given. Domains compare without case (RFC 5321 2.4);
     * so do local parts when {@code foldLocalParts}: inbound every recipient is a mailbox in Exchange, which ignores
     * case, so {@code <alice@…>} and {@code <ALICE@…>} in one transaction would deliver the message twice. Outbound,
     * a remote server may tell local parts apart by case, so they are kept apart.
     */
    static List<String> onceEach(List<String> recipients, boolean foldLocalParts) {
        Set<String> seen = new HashSet<>();
        List<String> once = new ArrayList<>();
        for (String recipient : recipients) {
            int at = recipient.lastIndexOf('@');
            String local = at < 0 ? recipient : recipient.substring(0, at);
            String domain = at < 0 ? "" : recipient.substring(at).toLowerCase(Locale.ROOT);
            if (seen.add((foldLocalParts ? local.toLowerCase(Locale.ROOT) : local) + domain)) {
                once.add(recipient);
            }
        }
        return once;
    }

    /** The connecting client's IP address (SPF checks it later, when the session is gone). */
    private static String clientAddress(SMTPSession session) {
        InetSocketAddress remote = session.getRemoteAddress();
        return remote == null || remote.getAddress() == null ? "" : remote.getAddress().getHostAddress();
    }

    private static HookResult reply(HookReturnCode code, String smtpCode, String text) {
        return HookResult.builder().hookReturnCode(code).smtpReturnCode(smtpCode).smtpDescription(text).build();
    }
}
