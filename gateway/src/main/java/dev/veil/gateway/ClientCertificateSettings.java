package dev.veil.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/**
 * {@code outbound.clientCertificates}: clients that may relay because of the TLS certificate they present after
 * STARTTLS, like Exchange Online's outbound connector, whose addresses are many and change. Empty (the default):
 * no certificate is asked for. A client is trusted when its certificate's SHA-256 fingerprint is listed (pinned; the
 * chain is not checked, as Postfix's {@code relay_clientcerts}), or when the certificate chains to {@code trustStore}
 * and one of its DNS names (subject alternative names, else the subject's CN) matches {@code names}.
 */
public class ClientCertificateSettings {
    /** DNS names, exact or {@code *.suffix} (one or more labels), e.g. {@code mail.protection.outlook.com}. */
    @NotNull
    private List<String> names = List.of();

    /** SHA-256 fingerprints of accepted certificates, hex with or without colons. */
    @NotNull
    private List<String> fingerprints = List.of();

    /** PEM file of the CA certificates that {@code names} must chain to; empty: the JDK's own CAs. */
    @NotNull
    private String trustStore = "";

    @JsonProperty public List<String> getNames() { return names; }
    @JsonProperty public void setNames(List<String> v) { names = v; }
    @JsonProperty public List<String> getFingerprints() { return fingerprints; }
    @JsonProperty public void setFingerprints(List<String> v) { fingerprints = v; }
    @JsonProperty public String getTrustStore() { return trustStore; }
    @JsonProperty public void setTrustStore(String v) { trustStore = v; }
}
