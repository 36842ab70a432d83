package dev.veil.gateway.graph;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Microsoft Graph ({@code graph.*}): where the contacts of a mailbox live ({@code users/{mailbox}}) and the
 * app registration Veil signs in with (OAuth2 client credentials, application permission {@code Contacts.ReadWrite}).
 */
public class GraphSettings {
    public static final String DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0";

    @NotNull
    private String baseUrl = DEFAULT_BASE_URL;
    /** Empty: {@code https://login.microsoftonline.com/{tenantId}/oauth2/v2.0/token}. */
    @NotNull
    private String tokenUrl = "";
    @NotNull
    private String tenantId = "";
    @NotNull
    private String clientId = "";
    @NotNull
    private String clientSecret = "";
    /** A file whose first line is the client secret (keeps it out of config.yml). */
    @NotNull
    private String clientSecretFile = "";

    /** Attempts per request when Graph throttles ({@code 429}/{@code 503}) or the connection fails. */
    @Min(1)
    @Max(20)
    private int maxAttempts = 6;
    /** First back-off when Graph gives no {@code Retry-After}; doubles (with jitter) up to {@code maxBackoff}. */
    @NotNull
    private Duration initialBackoff = Duration.seconds(1);
    @NotNull
    private Duration maxBackoff = Duration.seconds(60);
    @NotNull
    private Duration requestTimeout = Duration.seconds(60);
    /** Contacts per page when listing ({@code $top}); Graph allows up to 1000. */
    @Min(1)
    @Max(1000)
    private int pageSize = 100;

    /** Mailboxes {@code --all} and the server's periodic sync cover (besides those Veil already sealed contacts of). */
    @NotNull
    private java.util.List<String> mailboxes = java.util.List.of();
    /** How often the server runs {@code veil contacts sync} for every mailbox; 0 (default) turns it off. */
    @NotNull
    private Duration syncInterval = Duration.minutes(0);

    /** Whether the server syncs contacts by itself: an app registration and a {@code syncInterval} above 0. */
    public boolean periodicSync() {
        return !clientId.isBlank() && syncInterval.toMilliseconds() > 0;
    }

    /** The token endpoint: {@code tokenUrl} if set, else the tenant's Microsoft Entra endpoint. */
    public String effectiveTokenUrl() {
        if (!tokenUrl.isBlank()) {
            return tokenUrl;
        }
        if (tenantId.isBlank()) {
            throw new IllegalArgumentException("graph.tenantId is empty: set it (the directory (tenant) id of the app"
                    + " registration) or graph.tokenUrl");
        }
        return "https://login.microsoftonline.com/" + tenantId + "/oauth2/v2.0/token";
    }

    /** The client secret from {@code clientSecret}, else the first line of {@code clientSecretFile}. */
    public String effectiveClientSecret() {
        if (!clientSecret.isBlank()) {
            return clientSecret;
        }
        if (clientSecretFile.isBlank()) {
            throw new IllegalArgumentException("graph.clientSecret and graph.clientSecretFile are both empty: set one"
                    + " (the client secret of the app registration)");
        }
        try {
            String text = Files.readString(Path.of(clientSecretFile), StandardCharsets.UTF_8);
            String first = text.lines().findFirst().orElse("").strip();
            if (first.isEmpty()) {
                throw new IllegalArgumentException("graph.clientSecretFile " + clientSecretFile + " is empty");
            }
            return first;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read graph.clientSecretFile " + clientSecretFile + ": " + e, e);
        }
    }

    public void requireClient() {
        if (clientId.isBlank()) {
            throw new IllegalArgumentException("graph.clientId is empty: set it (the application (client) id of the"
                    + " app registration)");
        }
    }

    @JsonProperty public String getBaseUrl() { return baseUrl; }
    @JsonProperty public void setBaseUrl(String v) { baseUrl = v; }
    @JsonProperty public String getTokenUrl() { return tokenUrl; }
    @JsonProperty public void setTokenUrl(String v) { tokenUrl = v; }
    @JsonProperty public String getTenantId() { return tenantId; }
    @JsonProperty public void setTenantId(String v) { tenantId = v; }
    @JsonProperty public String getClientId() { return clientId; }
    @JsonProperty public void setClientId(String v) { clientId = v; }
    @JsonProperty public String getClientSecret() { return clientSecret; }
    @JsonProperty public void setClientSecret(String v) { clientSecret = v; }
    @JsonProperty public String getClientSecretFile() { return clientSecretFile; }
    @JsonProperty public void setClientSecretFile(String v) { clientSecretFile = v; }
    @JsonProperty public int getMaxAttempts() { return maxAttempts; }
    @JsonProperty public void setMaxAttempts(int v) { maxAttempts = v; }
    @JsonProperty public Duration getInitialBackoff() { return initialBackoff; }
    @JsonProperty public void setInitialBackoff(Duration v) { initialBackoff = v; }
    @JsonProperty public Duration getMaxBackoff() { return maxBackoff; }
    @JsonProperty public void setMaxBackoff(Duration v) { maxBackoff = v; }
    @JsonProperty public Duration getRequestTimeout() { return requestTimeout; }
    @JsonProperty public void setRequestTimeout(Duration v) { requestTimeout = v; }
    @JsonProperty public java.util.List<String> getMailboxes() { return mailboxes; }
    @JsonProperty public void setMailboxes(java.util.List<String> v) { mailboxes = v; }
    @JsonProperty public Duration getSyncInterval() { return syncInterval; }
    @JsonProperty public void setSyncInterval(Duration v) { syncInterval = v; }
    @JsonProperty public int getPageSize() { return pageSize; }
    @JsonProperty public void setPageSize(int v) { pageSize = v; }
}
