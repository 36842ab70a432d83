package dev.veil.gateway.smtp;

import org.apache.james.protocols.smtp.SMTPSession;

/**
 * Who may hand Veil mail to send out: a client in {@code outbound.allowedNetworks} or with a trusted TLS client
 * certificate ({@code outbound.clientCertificates}; Exchange Online's outbound connector), or a user who
 * authenticated. Everyone else can send nothing — never an open relay.
 */
final class OutboundSubmitter {
    private final Networks allowed;
    private final ClientCertificates certificates;

    OutboundSubmitter(Networks allowed) {
        this(allowed, ClientCertificates.none());
    }

    OutboundSubmitter(Networks allowed, ClientCertificates certificates) {
        this.allowed = allowed;
        this.certificates = certificates;
    }

    /** Whether {@code address} is in {@code outbound.allowedNetworks}. */
    boolean allowedNetwork(java.net.InetAddress address) {
        return allowed.contains(address);
    }

    boolean fromAllowedNetwork(SMTPSession session) {
        return session.getRemoteAddress() != null && allowedNetwork(session.getRemoteAddress().getAddress());
    }

    boolean withTrustedCertificate(SMTPSession session) {
        return certificates.trustedCertificate(session).isPresent();
    }

    /** The client's certificate in words, when it presented one (see {@link ClientCertificates#describe}). */
    java.util.Optional<String> certificate(SMTPSession session) {
        return certificates.describe(session);
    }

    static boolean authenticated(SMTPSession session) {
        return session.getUsername() != null;
    }

    /** Trusted without a user: by network or by certificate (the relay peers Veil is told about). */
    boolean trustedPeer(SMTPSession session) {
        return fromAllowedNetwork(session) || withTrustedCertificate(session);
    }

    boolean trusted(SMTPSession session) {
        return authenticated(session) || trustedPeer(session);
    }
}
