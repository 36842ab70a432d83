package dev.veil.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.DataSize;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

/** The inbound SMTP listener ({@code smtp.*} in config.yml). */
public class SmtpSettings {
    /** Loopback by default: exposing the listener is a deliberate act (set 0.0.0.0 for an MX). */
    @NotEmpty
    private String bindHost = "127.0.0.1";

    @Min(0)
    @Max(65535)
    private int port = 2525;

    /** Name in the greeting and EHLO reply; the machine's name when empty. */
    private String hostname = "";

    @NotNull
    private DataSize maxMessageSize = DataSize.mebibytes(35);

    @Min(1)
    private int maxRecipients = 100;

    /** Longest line accepted (octets, CRLF included). RFC 5321 asks for 1000; real mail has longer lines. */
    @Min(1000)
    private int maxLineLength = 65536;

    @NotNull
    private Duration idleTimeout = Duration.minutes(5);

    /**
     * Octets per second of message data below which a transfer is cut (Postfix's {@code smtpd_min_data_rate}): data
     * may take the idle timeout plus one second per this many octets received, a command line the idle timeout.
     */
    @Min(1)
    private int minDataRate = 500;

    @Min(1)
    private int maxConnections = 200;

    /**
     * Sessions one client address (an IPv6 /64) may hold at once, so that one host cannot take every slot; loopback,
     * and on the outbound listener its allowed networks, are not counted.
     */
    @Min(1)
    private int maxConnectionsPerClient = 20;

    /** Error replies (4xx, 5xx) a session may get: the one that would reach this many is 421 instead, and it ends. */
    @Min(1)
    private int maxErrorsPerSession = 20;

    /**
     * NOOP, RSET, VRFY and HELP commands a session may send before each further one counts as an error reply
     * (Postfix's {@code smtpd_junk_command_limit}): they keep a session without sending mail.
     */
    @Min(1)
    private int maxJunkCommandsPerSession = 100;

    /**
     * Twice Postfix's {@code hopcount_limit} of 50: real mail with a long relay history (mime4j's test message has 93
     * Received fields) passes, and a loop, which adds at least one field per pass, still ends.
     */
    public static final int DEFAULT_MAX_HOPS = 100;

    /**
     * Received fields a message may carry, Veil's own included (Postfix's {@code hopcount_limit}): one with more is
     * refused at the end of DATA with {@code 554 5.4.6}, which ends a mail loop. Both listeners.
     */
    @Min(1)
    private int maxHops = DEFAULT_MAX_HOPS;

    /**
     * Netty IO threads. The end of DATA fsyncs the spool file on the session's IO thread (so 250 means durable);
     * with many threads those fsyncs run side by side instead of stalling every session on one loop.
     */
    @Min(1)
    private int ioThreads = 16;

    /** PKCS#12 key store with the STARTTLS certificate; a self-signed one is generated in dataDir when empty. */
    private String tlsKeyStore = "";
    private String tlsKeyStorePassword = "";

    @JsonProperty public String getBindHost() { return bindHost; }
    @JsonProperty public void setBindHost(String v) { bindHost = v; }
    @JsonProperty public int getPort() { return port; }
    @JsonProperty public void setPort(int v) { port = v; }
    @JsonProperty public String getHostname() { return hostname; }
    @JsonProperty public void setHostname(String v) { hostname = v; }
    @JsonProperty public DataSize getMaxMessageSize() { return maxMessageSize; }
    @JsonProperty public void setMaxMessageSize(DataSize v) { maxMessageSize = v; }
    @JsonProperty public int getMaxRecipients() { return maxRecipients; }
    @JsonProperty public void setMaxRecipients(int v) { maxRecipients = v; }
    @JsonProperty public int getMaxLineLength() { return maxLineLength; }
    @JsonProperty public void setMaxLineLength(int v) { maxLineLength = v; }
    @JsonProperty public int getMaxJunkCommandsPerSession() { return maxJunkCommandsPerSession; }
    @JsonProperty public void setMaxJunkCommandsPerSession(int v) { maxJunkCommandsPerSession = v; }
    @JsonProperty public int getMaxHops() { return maxHops; }
    @JsonProperty public void setMaxHops(int v) { maxHops = v; }
    @JsonProperty public int getMinDataRate() { return minDataRate; }
    @JsonProperty public void setMinDataRate(int v) { minDataRate = v; }
    @JsonProperty public Duration getIdleTimeout() { return idleTimeout; }
    @JsonProperty public void setIdleTimeout(Duration v) { idleTimeout = v; }
    @JsonProperty public int getMaxConnections() { return maxConnections; }
    @JsonProperty public void setMaxConnections(int v) { maxConnections = v; }
    @JsonProperty public int getMaxConnectionsPerClient() { return maxConnectionsPerClient; }
    @JsonProperty public void setMaxConnectionsPerClient(int v) { maxConnectionsPerClient = v; }
    @JsonProperty public int getMaxErrorsPerSession() { return maxErrorsPerSession; }
    @JsonProperty public void setMaxErrorsPerSession(int v) { maxErrorsPerSession = v; }
    @JsonProperty public int getIoThreads() { return ioThreads; }
    @JsonProperty public void setIoThreads(int v) { ioThreads = v; }
    @JsonProperty public String getTlsKeyStore() { return tlsKeyStore; }
    @JsonProperty public void setTlsKeyStore(String v) { tlsKeyStore = v; }
    @JsonProperty public String getTlsKeyStorePassword() { return tlsKeyStorePassword; }
    @JsonProperty public void setTlsKeyStorePassword(String v) { tlsKeyStorePassword = v; }
}
