package dev.veil.gateway.smtp;

import dev.veil.crypto.Fingerprints;
import dev.veil.gateway.ClientCertificateSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.james.protocols.smtp.SMTPSession;

/**
 * Which TLS client certificates make an outbound client trusted ({@code outbound.clientCertificates}): pinned SHA-256
 * fingerprints, or DNS names on a certificate that chains to the configured CAs. The handshake itself accepts any
 * certificate (or none) — the verdict is given at MAIL FROM, as Postfix's {@code permit_tls_clientcerts} does — so a
 * client with an unknown certificate is refused relaying with a clear SMTP reply instead of a failed handshake.
 */
public final class ClientCertificates {
    private final Set<String> fingerprints;
    private final List<String> names;
    private final Set<TrustAnchor> anchors;

    private ClientCertificates(Set<String> fingerprints, List<String> names, Set<TrustAnchor> anchors) {
        this.fingerprints = fingerprints;
        this.names = names;
        this.anchors = anchors;
    }

    /** None trusted: no certificate is asked for. */
    public static ClientCertificates none() {
        return new ClientCertificates(Set.of(), List.of(), Set.of());
    }

    public static ClientCertificates from(ClientCertificateSettings settings) throws IOException, GeneralSecurityException {
        Set<String> pins = new HashSet<>();
        for (String f : settings.getFingerprints()) {
            String hex = f.replace(":", "").strip().toLowerCase(Locale.ROOT);
            if (!hex.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("outbound.clientCertificates.fingerprints: '" + f
                        + "' is not a SHA-256 fingerprint (64 hex digits, colons allowed), e.g. from"
                        + " `openssl x509 -noout -fingerprint -sha256 -in client.pem`");
            }
            pins.add(hex);
        }
        List<String> names = new ArrayList<>();
        for (String n : settings.getNames()) {
            String name = n.strip().toLowerCase(Locale.ROOT);
            if (name.isEmpty() || name.equals("*") || name.equals("*.") || name.indexOf('*', 1) >= 0
                    || (name.startsWith("*") && !name.startsWith("*."))) {
                throw new IllegalArgumentException("outbound.clientCertificates.names: '" + n
                        + "' is neither a DNS name nor *.suffix");
            }
            names.add(name);
        }
        Set<TrustAnchor> anchors = names.isEmpty() ? Set.of() : anchors(settings.getTrustStore());
        return new ClientCertificates(Set.copyOf(pins), List.copyOf(names), anchors);
    }

    /** Whether any certificate can make a client trusted, i.e. whether to ask clients for one. */
    public boolean enabled() {
        return !fingerprints.isEmpty() || !names.isEmpty();
    }

    /** The handshake's trust manager: takes any client certificate; {@link #trusts} judges it afterwards. */
    public X509TrustManager handshakeTrust() {
        return new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                // judged at MAIL FROM, with an SMTP reply the client can log
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType)
                    throws java.security.cert.CertificateException {
                throw new java.security.cert.CertificateException("a server-side trust manager");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                // an empty list tells clients any certificate may do (pinned ones are often self-signed)
                return new X509Certificate[0];
            }
        };
    }

    /** The session's client certificate, if it is one this listener trusts. */
    public Optional<X509Certificate> trustedCertificate(SMTPSession session) {
        Optional<SSLSession> tls = enabled() ? session.getSSLSession() : Optional.empty();
        if (tls.isEmpty()) {
            return Optional.empty();
        }
        // asked at MAIL FROM and at every RCPT TO: the chain's validation is done once per TLS session, whose
        // certificate cannot change
        if (tls.get().getValue(VERDICT) instanceof Verdict v && v.judge() == this) {
            return Optional.ofNullable(v.trusted());
        }
        List<X509Certificate> chain = presented(session);
        X509Certificate trusted = trusts(chain) ? chain.get(0) : null;
        tls.get().putValue(VERDICT, new Verdict(this, trusted));
        return Optional.ofNullable(trusted);
    }

    /** The verdict kept with a TLS session ({@code trusted} null: not trusted), valid for the judge that gave it. */
    private record Verdict(ClientCertificates judge, X509Certificate trusted) {
    }

    private static final String VERDICT = ClientCertificates.class.getName() + ".verdict";

    /**
     * What the session's client certificate says, for the log: subject, DNS names, SHA-256 — what an admin needs to
     * configure {@code names} or {@code fingerprints}. Empty when the client presented none.
     */
    public Optional<String> describe(SMTPSession session) {
        List<X509Certificate> chain = enabled() ? presented(session) : List.of();
        if (chain.isEmpty()) {
            return Optional.empty();
        }
        X509Certificate leaf = chain.get(0);
        return Optional.of("subject '" + leaf.getSubjectX500Principal().getName() + "', issuer '"
                + leaf.getIssuerX500Principal().getName() + "', DNS names " + dnsNames(leaf) + ", SHA-256 "
                + Fingerprints.sha256(leaf));
    }

    private static List<X509Certificate> presented(SMTPSession session) {
        Optional<SSLSession> tls = session.getSSLSession();
        if (tls.isEmpty()) {
            return List.of();
        }
        Certificate[] chain;
        try {
            chain = tls.get().getPeerCertificates();
        } catch (SSLPeerUnverifiedException noCertificate) {
            return List.of();
        }
        List<X509Certificate> x509 = new ArrayList<>();
        for (Certificate c : chain) {
            if (c instanceof X509Certificate x) {
                x509.add(x);
            }
        }
        return x509;
    }

    /** The verdict on a client's chain, leaf first. */
    boolean trusts(List<X509Certificate> chain) {
        if (chain.isEmpty()) {
            return false;
        }
        X509Certificate leaf = chain.get(0);
        if (fingerprints.contains(Fingerprints.sha256(leaf))) {
            return true;
        }
        return !names.isEmpty() && dnsNames(leaf).stream().anyMatch(this::nameMatches) && chainsToAnchors(chain);
    }

    private boolean nameMatches(String dnsName) {
        String name = dnsName.toLowerCase(Locale.ROOT);
        for (String wanted : names) {
            if (wanted.startsWith("*.") ? name.endsWith(wanted.substring(1)) && name.length() > wanted.length() - 1
                    : name.equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    private boolean chainsToAnchors(List<X509Certificate> chain) {
        try {
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false); // no network lookups on the SMTP path; pin fingerprints to be strict
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(chain), parameters);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * The subject alternative names of type DNS; when there are none, the subject's CN if it has exactly one. A subject
     * with several ({@code /CN=mx.evil.example/CN=mx.trusted.example}, a black-box probe's) names no one: which of them
     * a verifier takes differs (RFC 6125 6.4.4 says the most specific, many take the first), and a relay decision should
     * not rest on that.
     */
    static List<String> dnsNames(X509Certificate certificate) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> alternative : alternatives) {
                    if (alternative.size() >= 2 && Integer.valueOf(2).equals(alternative.get(0))) {
                        out.add(String.valueOf(alternative.get(1)));
                    }
                }
            }
            if (out.isEmpty()) {
                List<String> commonNames = new ArrayList<>();
                for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        commonNames.add(String.valueOf(rdn.getValue()));
                    }
                }
                if (commonNames.size() == 1) {
                    out.add(commonNames.get(0));
                }
            }
        } catch (java.security.cert.CertificateParsingException | javax.naming.InvalidNameException e) {
            return List.of();
        }
        return out;
    }

    private static Set<TrustAnchor> anchors(String trustStore) throws IOException, GeneralSecurityException {
        Set<TrustAnchor> anchors = new HashSet<>();
        if (trustStore.isBlank()) {
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            Arrays.stream(jdk.getTrustManagers()).filter(t -> t instanceof X509TrustManager)
                    .flatMap(t -> Arrays.stream(((X509TrustManager) t).getAcceptedIssuers()))
                    .forEach(c -> anchors.add(new TrustAnchor(c, null)));
        } else {
            try (InputStream in = Files.newInputStream(Path.of(trustStore))) {
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    anchors.add(new TrustAnchor((X509Certificate) c, null));
                }
            }
        }
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException("outbound.clientCertificates.trustStore: no CA certificate in '"
                    + trustStore + "'");
        }
        return anchors;
    }
}
