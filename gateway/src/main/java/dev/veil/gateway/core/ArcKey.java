package dev.veil.gateway.core;

import dev.veil.crypto.ArcSigningKey;
import dev.veil.crypto.KeyException;
import dev.veil.crypto.NativeRsa;
import dev.veil.gateway.ArcSettings;
import dev.veil.gateway.auth.ArcSealer;
import dev.veil.gateway.auth.DnsResolver;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's ARC signing key, created on first start under the master key. If it cannot be opened the gateway
 * still runs, but the arc-seal step fails (closed) for every message until it is fixed.
 */
public final class ArcKey {
    private static final Logger LOG = LoggerFactory.getLogger(ArcKey.class);
    private final ArcSigningKey key;
    private final String problem;
    private final ArcSettings settings;

    private ArcKey(ArcSigningKey key, String problem, ArcSettings settings) {
        this.key = key;
        this.problem = problem;
        this.settings = settings;
    }

    public static ArcSigningKey openOrCreate(Path dataDir, Map<String, String> env, ArcSettings settings)
            throws KeyException {
        return ArcSigningKey.openOrCreate(KeyService.keyDirectory(dataDir), KeyService.masterKey(dataDir, env),
                settings.isNativeSigning());
    }

    public static ArcKey load(Path dataDir, ArcSettings settings) {
        try {
            ArcSigningKey key = openOrCreate(dataDir, System.getenv(), settings);
            if (key.nativeProblem() != null) {
                LOG.warn("ARC signs in Java, slower: {}", key.nativeProblem());
            } else if (settings.isNativeSigning() && !NativeRsa.available()) {
                LOG.info("ARC signs in Java: AWS-LC is not available here ({})", NativeRsa.unavailableReason());
            }
            LOG.info("ARC seal key: {}", key);
            return new ArcKey(key, null, settings);
        } catch (KeyException | RuntimeException e) {
            LOG.error("ARC signing key unavailable — mail will wait if the pipeline seals with ARC: {}", e.getMessage());
            return new ArcKey(null, e.getMessage(), settings);
        }
    }

    /** A sealer with this key; throws when the key could not be opened. */
    public ArcSealer sealer(String authservId, DnsResolver dns) {
        if (key == null) {
            throw new IllegalStateException(problem);
        }
        return new ArcSealer(key.signingKey(), settings.getDomain(), settings.getSelector(), authservId, dns);
    }
}
