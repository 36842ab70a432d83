package dev.veil.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/** Sender authentication ({@code auth.*}): the DNS the checks use and the name Veil signs its results with. */
public class AuthSettings {
    /**
     * DNS servers for SPF, DKIM keys and DMARC: {@code host} or {@code host:port} ({@code [v6]:port}); empty: the
     * system's resolvers (/etc/resolv.conf). A validating resolver of your own is best.
     */
    @NotNull
    private List<String> dnsServers = List.of();

    /** How long one DNS question may take; past it the check is temperror and the message waits. */
    @NotNull
    private Duration dnsTimeout = Duration.seconds(5);

    /** The authserv-id in Authentication-Results (RFC 8601); the SMTP host name when empty. */
    @NotNull
    private String authservId = "";

    @JsonProperty public List<String> getDnsServers() { return dnsServers; }
    @JsonProperty public void setDnsServers(List<String> v) { dnsServers = v; }
    @JsonProperty public Duration getDnsTimeout() { return dnsTimeout; }
    @JsonProperty public void setDnsTimeout(Duration v) { dnsTimeout = v; }
    @JsonProperty public String getAuthservId() { return authservId; }
    @JsonProperty public void setAuthservId(String v) { authservId = v; }
}
