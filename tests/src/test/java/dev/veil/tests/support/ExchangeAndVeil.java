package dev.veil.tests.support;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * GreenMail standing in for Exchange and one Veil (test keys, the given policy) relaying to it, started together for
 * a test class; {@link #close()} stops both. If Veil does not start, GreenMail is stopped before the failure goes on.
 */
public record ExchangeAndVeil(GreenMail exchange, GatewayProcess veil) implements AutoCloseable {

    /** Writes {@code policy} to {@code dataDir/policy.yml} and starts both. */
    public static ExchangeAndVeil start(Path dataDir, String policy) throws Exception {
        int port = GatewayProcess.freePort();
        GreenMail exchange = new GreenMail(new ServerSetup(port, "127.0.0.1", "smtp"));
        exchange.start();
        try {
            Files.createDirectories(dataDir);
            Files.writeString(dataDir.resolve("policy.yml"), policy);
            return new ExchangeAndVeil(exchange, GatewayProcess.withKeys(dataDir).upstreamSmtp(port).start());
        } catch (Exception | Error e) {
            exchange.stop();
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
