package dev.veil.gateway.smtp;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataCmdHandler;

/** A session that ends mid-DATA leaves no spool file behind: nothing was acknowledged, so nothing is kept. */
final class DiscardAbortedData implements DisconnectHandler<SMTPSession> {
    @Override
    public void onDisconnect(SMTPSession session) {
        if (session == null) {
            return;
        }
        session.getAttachment(DataCmdHandler.MAILENV, ProtocolSession.State.Transaction)
                .filter(SpoolingEnvelope.class::isInstance)
                .map(SpoolingEnvelope.class::cast)
                .ifPresent(envelope -> envelope.message().discard());
    }
}
