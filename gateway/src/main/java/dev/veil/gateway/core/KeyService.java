package dev.veil.gateway.core;

import dev.veil.config.KeySettings;
import dev.veil.config.Policy;
import dev.veil.crypto.KeyException;
import dev.veil.crypto.MasterKey;
import dev.veil.crypto.MessageSealer;
import dev.veil.crypto.SealReport;
import dev.veil.crypto.SealRequest;
import dev.veil.crypto.SmimeSealer;
import dev.veil.crypto.VeilKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's handle on the key store. If the keys cannot be opened (wrong master key, unreadable files) the
 * gateway still accepts and queues mail, but every seal fails, so every message waits: fail closed, with the
 * reason in the health check.
 */
public final class KeyService implements MessageSealer {
    private static final Logger LOG = LoggerFactory.getLogger(KeyService.class);
    private final VeilKeys keys;
    private final String problem;
    private final Supplier<Policy> policies;
    /** The policy version the CA and escrow were last ensured for: not re-checked (under a lock) per message. */
    private volatile String initialisedFor = "";

    private KeyService(VeilKeys keys, String problem, Supplier<Policy> policies) {
        this.keys = keys;
        this.problem = problem;
        this.policies = policies;
    }

    /** The key directory of a data directory. */
    public static Path keyDirectory(Path dataDir) {
        return dataDir.resolve("keys");
    }

    /** Opens the keys with the master key from the environment or {@code dataDir/master.key}. */
    public static VeilKeys openKeys(Path dataDir, Map<String, String> env) throws KeyException {
        MasterKey master = MasterKey.load(env, dataDir.resolve("master.key"), LOG::warn);
        return VeilKeys.open(keyDirectory(dataDir), master);
    }

    public static KeyService start(Path dataDir, Map<String, String> env, Supplier<Policy> policies) {
        try {
            VeilKeys keys = openKeys(dataDir, env);
            Policy policy = policies.get();
            if (policy != null) {
                keys.initialise(policy.organisation(), policy.keys());
            }
            return new KeyService(keys, null, policies);
        } catch (KeyException | RuntimeException e) {
            LOG.error("keys unavailable — all mail will wait until this is fixed: {}", e.getMessage());
            return new KeyService(null, e.getMessage(), policies);
        }
    }

    /** Null when the keys are loaded; otherwise why not. */
    public String problem() {
        return problem;
    }

    @Override
    public SealReport seal(InputStream original, OutputStream out, SealRequest request) throws KeyException, IOException {
        if (keys == null) {
            throw new KeyException("keys unavailable: " + problem);
        }
        Policy policy = policies.get();
        if (policy == null) {
            throw new KeyException("no policy in force");
        }
        KeySettings settings = policy.keys();
        if (!initialisedFor.equals(policy.contentHash())) {
            keys.initialise(policy.organisation(), settings);
            initialisedFor = policy.contentHash();
        }
        return new SmimeSealer(keys, settings).seal(original, out, request);
    }
}
