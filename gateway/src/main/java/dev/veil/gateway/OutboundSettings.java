package dev.veil.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/**
 * The outbound listener ({@code outbound.*}): mail leaving the business, from Exchange Online's outbound connector
 * (trusted by source network) or from users submitting directly (SMTP AUTH after STARTTLS). Message limits,
 * host name and TLS certificate are the inbound listener's ({@code smtp.*}).
 */
public class OutboundSettings {
    /** Loopback by default: exposing the listener is a deliberate act. */
    @NotEmpty
    private String bindHost = "127.0.0.1";

    /** 2587: the submission port 587 moved above 1024, as 2525 is for 25 (no root needed). */
    @Min(0)
    @Max(65535)
    private int port = 2587;

    /**
     * CIDRs whose clients may relay without authenticating (e.g. Exchange Online's outbound ranges). Everyone else
     * must authenticate; an empty list means authentication only.
     */
    @NotNull
    private List<String> allowedNetworks = List.of("127.0.0.0/8", "::1/128");

    /** Accounts for SMTP AUTH (PLAIN, LOGIN; offered only after STARTTLS). */
    @Valid
    @NotNull
    private List<OutboundAccount> accounts = List.of();

    /**
     * Failed logins one client (an IPv6 /64) may have within {@link #authFailureWindow}, over all its sessions; then
     * its AUTH commands get {@code 421} until that window, which starts at its first failure, has passed. Clients in
     * {@link #allowedNetworks} are not counted.
     */
    @Min(1)
    private int maxAuthFailuresPerClient = 10;

    @NotNull
    private io.dropwizard.util.Duration authFailureWindow = io.dropwizard.util.Duration.minutes(15);

    /** Clients trusted by the certificate they present after STARTTLS (Exchange Online's connector). */
    @Valid
    @NotNull
    private ClientCertificateSettings clientCertificates = new ClientCertificateSettings();

    /** Where outbound mail goes: the same settings as {@code upstream.*}; directory mode writes dataDir/outbound. */
    @Valid
    @NotNull
    private UpstreamSettings relay = new UpstreamSettings();

    /**
     * The business's Microsoft 365 tenant(s): its tenant id (a GUID) or its organisation domain
     * ({@code example.onmicrosoft.com}). When set, mail from an allowed network or trusted certificate (not from an
     * authenticated user) must carry one of them in {@code X-MS-Exchange-CrossTenant-Id} or
     * {@code X-OriginatorOrg}, which Exchange Online stamps on what it sends: its ranges and its certificate are
     * shared by every tenant.
     */
    @NotNull
    private List<String> exchangeTenants = List.of();

    /**
     * How long the Message-ID of mail sent out is remembered (table {@code sent_message_id}, see
     * {@code restore-correspondents}), so that a correspondent's reply naming it keeps it in Exchange's copy.
     */
    @NotNull
    private io.dropwizard.util.Duration keepSentIds = io.dropwizard.util.Duration.days(730);

    /** The processing steps for outbound mail, like {@code queue.pipeline}. */
    @NotNull
    private List<String> pipeline = List.of("restore-correspondents", "reject", "skip-encrypted", "encrypt", "pass",
            "relay");

    @JsonProperty public String getBindHost() { return bindHost; }
    @JsonProperty public void setBindHost(String v) { bindHost = v; }
    @JsonProperty public int getPort() { return port; }
    @JsonProperty public void setPort(int v) { port = v; }
    @JsonProperty public List<String> getAllowedNetworks() { return allowedNetworks; }
    @JsonProperty public void setAllowedNetworks(List<String> v) { allowedNetworks = v; }
    @JsonProperty public List<OutboundAccount> getAccounts() { return accounts; }
    @JsonProperty public void setAccounts(List<OutboundAccount> v) { accounts = v; }
    @JsonProperty public int getMaxAuthFailuresPerClient() { return maxAuthFailuresPerClient; }
    @JsonProperty public void setMaxAuthFailuresPerClient(int v) { maxAuthFailuresPerClient = v; }
    @JsonProperty public io.dropwizard.util.Duration getAuthFailureWindow() { return authFailureWindow; }
    @JsonProperty public void setAuthFailureWindow(io.dropwizard.util.Duration v) { authFailureWindow = v; }
    @JsonProperty public ClientCertificateSettings getClientCertificates() { return clientCertificates; }
    @JsonProperty public void setClientCertificates(ClientCertificateSettings v) { clientCertificates = v; }
    @JsonProperty public UpstreamSettings getRelay() { return relay; }
    @JsonProperty public void setRelay(UpstreamSettings v) { relay = v; }
    @JsonProperty public io.dropwizard.util.Duration getKeepSentIds() { return keepSentIds; }
    @JsonProperty public void setKeepSentIds(io.dropwizard.util.Duration v) { keepSentIds = v; }
    @JsonProperty public List<String> getExchangeTenants() { return exchangeTenants; }
    @JsonProperty public void setExchangeTenants(List<String> v) { exchangeTenants = v; }
    @JsonProperty public List<String> getPipeline() { return pipeline; }
    /** Checked as it is read, so that {@code veil check} refuses what the server would. */
    @JsonProperty public void setPipeline(List<String> v) {
        dev.veil.gateway.pipeline.PipelineSteps.check("outbound.pipeline", v, dev.veil.gateway.pipeline.PipelineSteps.OUTBOUND);
        pipeline = v;
    }
}
