package dev.veil.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/** Where protected mail goes ({@code upstream.*}): Exchange Online's smart host, or a directory when none is configured. */
public class UpstreamSettings {

    public enum Mode { directory, smtp }

    public enum Tls { none, starttls, required }

    @NotNull
    private Mode mode = Mode.directory;

    /** For {@code directory} mode; {@code dataDir/upstream} when empty. */
    private String directory = "";

    private String host = "";

    @Min(1)
    @Max(65535)
    private int port = 25;

    /** {@code starttls}: use it when offered; {@code required}: refuse to send without verified TLS. */
    @NotNull
    private Tls tls = Tls.required;

    /** Trust store (PKCS#12 or JKS) for the upstream's certificate; the JDK's CAs when empty. */
    private String trustStore = "";
    private String trustStorePassword = "";

    /** Check the upstream's host name against its certificate (on by default; off only for tests). */
    private boolean verifyHostname = true;

    @NotNull
    private Duration connectTimeout = Duration.seconds(30);
    /** RFC 5321 4.5.3.2.6: a client waits 10 minutes for the reply to the end of data (one timeout covers every reply). */
    @NotNull
    private Duration readTimeout = Duration.minutes(10);

    /** Name Veil says in EHLO; the SMTP listener's host name when empty. */
    private String heloName = "";

    /** SMTP AUTH user at the smart host (a provider's relay usually asks for one); empty: no AUTH. */
    private String username = "";
    /** Its password, or {@code passwordFile}: a file whose first line is the password. */
    private String password = "";
    private String passwordFile = "";

    /**
     * The server does not start with an SMTP upstream that names no host; {@code veil check} refuses it too.
     *
     * @param setting where these settings are, for the message ({@code upstream}, {@code outbound.relay})
     */
    public void requireHost(String setting) {
        if (mode == Mode.smtp && host.isBlank()) {
            throw new IllegalArgumentException(setting + ".mode is smtp but " + setting + ".host is empty");
        }
        if (mode == Mode.smtp) {
            credentials(setting);
        }
    }

    /**
     * The user and password for SMTP AUTH at the smart host, when {@code username} is set. A password is sent only
     * inside TLS, so {@code tls} must be {@code required} ({@code starttls} would send it in clear to a server, or a
     * man in the middle, that does not offer STARTTLS).
     *
     * @param setting where these settings are, for the message
     * @throws IllegalArgumentException when the user has no password, the file cannot be read, or TLS is not required
     */
    public java.util.Optional<jakarta.mail.PasswordAuthentication> credentials(String setting) {
        if (username.isBlank()) {
            if (!password.isEmpty() || !passwordFile.isBlank()) {
                throw new IllegalArgumentException(setting + ".password is set but " + setting + ".username is empty");
            }
            return java.util.Optional.empty();
        }
        if (tls != Tls.required) {
            throw new IllegalArgumentException(setting + ".username needs " + setting + ".tls: required (the password"
                    + " is sent only inside TLS)");
        }
        String secret = password;
        if (secret.isEmpty()) {
            if (passwordFile.isBlank()) {
                throw new IllegalArgumentException(setting + ".username is set but " + setting + ".password and "
                        + setting + ".passwordFile are both empty");
            }
            try {
                secret = java.nio.file.Files.readString(java.nio.file.Path.of(passwordFile),
                        java.nio.charset.StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("cannot read " + setting + ".passwordFile " + passwordFile + ": "
                        + e, e);
            }
            if (secret.isEmpty()) {
                throw new IllegalArgumentException(setting + ".passwordFile " + passwordFile + " is empty");
            }
        }
        return java.util.Optional.of(new jakarta.mail.PasswordAuthentication(username, secret));
    }

    @JsonProperty public Mode getMode() { return mode; }
    @JsonProperty public void setMode(Mode v) { mode = v; }
    @JsonProperty public String getDirectory() { return directory; }
    @JsonProperty public void setDirectory(String v) { directory = v; }
    @JsonProperty public String getHost() { return host; }
    @JsonProperty public void setHost(String v) { host = v; }
    @JsonProperty public int getPort() { return port; }
    @JsonProperty public void setPort(int v) { port = v; }
    @JsonProperty public Tls getTls() { return tls; }
    @JsonProperty public void setTls(Tls v) { tls = v; }
    @JsonProperty public String getTrustStore() { return trustStore; }
    @JsonProperty public void setTrustStore(String v) { trustStore = v; }
    @JsonProperty public String getTrustStorePassword() { return trustStorePassword; }
    @JsonProperty public void setTrustStorePassword(String v) { trustStorePassword = v; }
    @JsonProperty public boolean isVerifyHostname() { return verifyHostname; }
    @JsonProperty public void setVerifyHostname(boolean v) { verifyHostname = v; }
    @JsonProperty public Duration getConnectTimeout() { return connectTimeout; }
    @JsonProperty public void setConnectTimeout(Duration v) { connectTimeout = v; }
    @JsonProperty public Duration getReadTimeout() { return readTimeout; }
    @JsonProperty public void setReadTimeout(Duration v) { readTimeout = v; }
    @JsonProperty public String getHeloName() { return heloName; }
    @JsonProperty public void setHeloName(String v) { heloName = v; }
    @JsonProperty public String getUsername() { return username; }
    @JsonProperty public void setUsername(String v) { username = v; }
    @JsonProperty public String getPassword() { return password; }
    @JsonProperty public void setPassword(String v) { password = v; }
    @JsonProperty public String getPasswordFile() { return passwordFile; }
    @JsonProperty public void setPasswordFile(String v) { passwordFile = v; }
}
