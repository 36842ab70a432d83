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
    private final Path dataDir;
    private final ArcSettings settings;
    private volatile ArcSigningKey key;
    private volatile String problem;
    /** While the key is unavailable, when the next message may try to open it again (master.key restored, say). */
    private volatile long nextAttempt;

    private ArcKey(Path dataDir, ArcSettings settings) {
        this.dataDir = dataDir;
        this.settings = settings;
    }

    public static ArcSigningKey openOrCreate(Path dataDir, Map<String, String> env, ArcSettings settings)
            throws KeyException {
        return ArcSigningKey.openOrCreate(KeyService.keyDirectory(dataDir), KeyService.masterKey(dataDir, env),
                settings.isNativeSigning());
    }

    public static ArcKey load(Path dataDir, ArcSettings settings) {
        ArcKey arc = new ArcKey(dataDir, settings);
        arc.open();
        if (arc.problem != null) {
            LOG.error("ARC signing key unavailable — mail will wait if the pipeline seals with ARC: {}", arc.problem);
        }
        return arc;
    }

    private void open() {
        try {
            ArcSigningKey opened = openOrCreate(dataDir, System.getenv(), settings);
            if (opened.nativeProblem() != null) {
                LOG.warn("ARC signs in Java, slower: {}", opened.nativeProblem());
            } else if (settings.isNativeSigning() && !NativeRsa.available()) {
                LOG.info("ARC signs in Java: AWS-LC is not available here ({})", NativeRsa.unavailableReason());
            }
            LOG.info("ARC seal key: {}", opened);
            key = opened;
            problem = null;
        } catch (KeyException | RuntimeException e) {
            problem = e.getMessage();
        }
        nextAttempt = System.currentTimeMillis() + KeyService.RETRY_MILLIS;
    }

    /** A sealer with this key; throws when the key cannot be opened (tried again every so often until it can). */
    public ArcSealer sealer(String authservId, DnsResolver dns) {
        ArcSigningKey current = key;
        if (current == null) {
            synchronized (this) {
                if (key == null && System.currentTimeMillis() >= nextAttempt) {
                    open();
                }
                current = key;
            }
            if (current == null) {
                throw new IllegalStateException(problem);
            }
        }
        return new ArcSealer(current.signingKey(), settings.getDomain(), settings.getSelector(), authservId, dns);
    }
}
