package dev.veil.gateway.smtp;

import dev.veil.gateway.core.Spool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.MailEnvelope;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataCmdHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** DATA whose envelope streams to a spool file instead of memory. */
final class SpoolingDataCmdHandler extends DataCmdHandler {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolingDataCmdHandler.class);
    private final Spool spool;
    private final long maxSize;

    SpoolingDataCmdHandler(MetricFactory metricFactory, Spool spool, long maxSize) {
        super(metricFactory);
        this.spool = spool;
        this.maxSize = maxSize;
    }

    /**
     * Set while message data arrives: from the {@code 354} to the end-of-data line ({@link DotUnstuffingDataLines}). The
     * line framer and the request deadline go by it. Not James's command-injection flag, which James also turns off
     * for the rest of the session at STARTTLS: read as "in DATA", it made the framer cut a pipelined
     * {@code MAIL FROM}, {@code RCPT TO}, {@code DATA} inside TLS as one line ({@code 555}).
     */
    static final ProtocolSession.AttachmentKey<Boolean> RECEIVING_DATA =
            ProtocolSession.AttachmentKey.of("veil.receivingData", Boolean.class);

    /** Whether message data is arriving in this session (see {@link #RECEIVING_DATA}). */
    static boolean receivingData(ProtocolSession session) {
        return session.getAttachment(RECEIVING_DATA, ProtocolSession.State.Connection).isPresent();
    }

    /**
     * James 3.8.1 stops command-injection detection for DATA and never starts it again (its finally block calls the
     * getter). Detection is restarted here when DATA is refused, and by {@link SpoolMessageHook} at end of data.
     */
    @Override
    public Response onCommand(SMTPSession session, org.apache.james.protocols.api.Request request) {
        Response response = super.onCommand(session, request);
        if (response == null || !"354".equals(response.getRetCode())) {
            session.startDetectingCommandInjection();
        } else {
            session.setAttachment(RECEIVING_DATA, Boolean.TRUE, ProtocolSession.State.Connection);
        }
        return response;
    }

    @Override
    protected Response doDATA(SMTPSession session, String argument) {
        try {
            Response response = super.doDATA(session, argument);
            if (response != null && "354".equals(response.getRetCode())) {
                try {
                    writeReceivedField(session);
                } catch (RuntimeException e) {
                    LOG.error("cannot write the Received field: {}", e.getMessage(), e);
                    session.popLineHandler(); // James took the data line handler on for the 354
                    discardEnvelope(session);
                    return new SMTPResponse("451", "4.3.0 Temporary local problem, please try again later");
                }
            }
            return response;
        } catch (UncheckedIOException e) {
            LOG.error("cannot open a spool file: {}", e.getCause().getMessage());
            return new SMTPResponse("451", "4.3.0 Temporary local problem, please try again later");
        }
    }

    /** Veil's Received field, the first line of the spool file (see {@link ReceivedField}). */
    private void writeReceivedField(SMTPSession session) {
        SpoolingEnvelope envelope = (SpoolingEnvelope) session.getAttachment(MAILENV, ProtocolSession.State.Transaction)
                .orElseThrow(() -> new IllegalStateException("DATA without a transaction"));
        List<MailAddress> recipients = envelope.getRecipients();
        Map<String, String> resolved = session.getAttachment(OutboundRecipientHook.RESOLVED,
                ProtocolSession.State.Transaction).orElse(Map.of());
        // an alias's real address is not named: a bounce of the message returns this field to Exchange
        String recipient = recipients.size() != 1 || resolved.containsKey(recipients.get(0).asString()) ? null
                : recipients.get(0).asString();
        boolean extended = "EHLO".equalsIgnoreCase(session.getAttachment(SMTPSession.CURRENT_HELO_MODE,
                ProtocolSession.State.Connection).orElse("EHLO"));
        InetSocketAddress remote = session.getRemoteAddress();
        byte[] field = ReceivedField.line(
                session.getAttachment(SMTPSession.CURRENT_HELO_NAME, ProtocolSession.State.Connection).orElse(""),
                remote == null ? null : remote.getAddress(),
                session.getConfiguration().getHelloName(),
                ReceivedField.protocol(extended, session.isTLSStarted(), session.getUsername() != null),
                envelope.message().id().value(), recipient, ZonedDateTime.now());
        try {
            envelope.message().writeTraceField(field);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void discardEnvelope(SMTPSession session) {
        session.getAttachment(MAILENV, ProtocolSession.State.Transaction)
                .filter(SpoolingEnvelope.class::isInstance)
                .ifPresent(envelope -> ((SpoolingEnvelope) envelope).message().discard());
        session.removeAttachment(MAILENV, ProtocolSession.State.Transaction);
    }

    @Override
    protected MailEnvelope createEnvelope(MaybeSender sender, List<MailAddress> recipients) {
        try {
            return new SpoolingEnvelope(sender, recipients, spool.begin(maxSize));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
