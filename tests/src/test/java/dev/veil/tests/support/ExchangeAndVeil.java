package dev.veil.tests.support;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * GreenMail standing in for Exchange and one Veil (test keys, the given policy) relaying to it, started together for
 * a test class; {@link #close()} stops both. If Veil does not start, GreenMail is stopped before the failure goes on.
 */
public record ExchangeAndVeil(GreenMail exchange, GatewayProcess veil) implements AutoCloseable {

    /** Writes {@code policy} to {@code dataDir/policy.yml} and starts both. */
    public static ExchangeAndVeil start(Path dataDir, String policy) throws Exception {
        return prepared(dataDir, policy).started();
    }

    /** Starts both with the test keys' example policy, for tests whose policy is not the point. */
    public static ExchangeAndVeil start(Path dataDir) {
        return prepared(dataDir).started();
    }

    /**
     * Writes {@code policy} and starts GreenMail; Veil is configured (test keys, relaying to GreenMail) but not
     * started, for tests that add settings or run a {@code veil} command (keys import, arc-dns) before the server
     * starts. The test calls {@code veil().start()}; {@link #close()} stops GreenMail whether Veil started or not.
     */
    public static ExchangeAndVeil prepared(Path dataDir, String policy) throws IOException {
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("policy.yml"), policy);
        return prepared(dataDir);
    }

    /** {@link #prepared(Path, String)} with the test keys' example policy. */
    public static ExchangeAndVeil prepared(Path dataDir) {
        int port = GatewayProcess.freePort();
        GreenMail exchange = new GreenMail(new ServerSetup(port, "127.0.0.1", "smtp"));
        exchange.start();
        try {
            return new ExchangeAndVeil(exchange, GatewayProcess.withKeys(dataDir).upstreamSmtp(port));
        } catch (RuntimeException | Error e) {
            exchange.stop();
            throw e;
        }
    }

    private ExchangeAndVeil started() {
        try {
            veil.start();
            return this;
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** The escrow key, exported unencrypted to {@code out} for openssl and gpg to decrypt with. */
    public Path exportEscrow(Path out) {
        veil.command("keys", "export-escrow", "--out", out.toString(), "--unencrypted");
        return out;
    }

    @Override
    public void close() {
        try {
            veil.close();
        } finally {
            exchange.stop();
        }
    }
}
