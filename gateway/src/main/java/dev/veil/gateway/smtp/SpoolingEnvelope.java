package dev.veil.gateway.smtp;

import dev.veil.gateway.core.IncomingMessage;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.MailEnvelope;

/** The DATA of one transaction, written straight into a spool file as it arrives. */
final class SpoolingEnvelope implements MailEnvelope {
    private final MaybeSender sender;
    private final List<MailAddress> recipients;
    private final IncomingMessage message;

    SpoolingEnvelope(MaybeSender sender, List<MailAddress> recipients, IncomingMessage message) {
        this.sender = sender;
        this.recipients = List.copyOf(recipients);
        this.message = message;
    }

    IncomingMessage message() {
        return message;
    }

    @Override
    public long getSize() {
        return message.size();
    }

    @Override
    public List<MailAddress> getRecipients() {
        return recipients;
    }

    @Override
    public MaybeSender getMaybeSender() {
        return sender;
    }

    @Override
    public OutputStream getMessageOutputStream() {
        return message;
    }

    @Override
    public InputStream getMessageInputStream() {
        throw new UnsupportedOperationException("read the message from the spool once it is queued");
    }
}
