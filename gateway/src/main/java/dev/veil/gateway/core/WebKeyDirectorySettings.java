package dev.veil.gateway.core;

import io.dropwizard.util.Duration;

/**
 * {@code wkd.*} in config.yml: how Web Key Directory lookups go out (whether they happen at all is the policy's
 * {@code keys.openpgp.web-key-directory}).
 */
public final class WebKeyDirectorySettings {
    /** Connect and whole-request timeout of one lookup. */
    private Duration timeout = Duration.seconds(10);
    /** The HTTPS port; 443 except for tests and proxies. */
    private int port = 443;
    /** How long "this address publishes no key" is believed before asking again. */
    private Duration missCacheTime = Duration.hours(1);

    public Duration getTimeout() {
        return timeout;
    }

    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    public int getPort() {
        return port;
    }

    public void setPort(int port) {
        this.port = port;
    }

    public Duration getMissCacheTime() {
        return missCacheTime;
    }

    public void setMissCacheTime(Duration missCacheTime) {
        this.missCacheTime = missCacheTime;
    }
}
