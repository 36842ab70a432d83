package dev.veil.gateway.smtp;

import org.apache.james.protocols.smtp.SMTPSession;

/**
 * Who may hand Veil mail to send out: a client in {@code outbound.allowedNetworks} (Exchange Online's outbound
 * connector) or a user who authenticated. Everyone else can send nothing — never an open relay.
 */
final class OutboundSubmitter {
    private final Networks allowed;

    OutboundSubmitter(Networks allowed) {
        this.allowed = allowed;
    }

    boolean fromAllowedNetwork(SMTPSession session) {
        return session.getRemoteAddress() != null && allowed.contains(session.getRemoteAddress().getAddress());
    }

    static boolean authenticated(SMTPSession session) {
        return session.getUsername() != null;
    }

    boolean trusted(SMTPSession session) {
        return authenticated(session) || fromAllowedNetwork(session);
    }
}
