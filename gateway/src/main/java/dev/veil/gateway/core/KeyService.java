package dev.veil.gateway.core;

import dev.veil.config.Action;
import dev.veil.config.KeySettings;
import dev.veil.config.NamedKey;
import dev.veil.config.Policy;
import dev.veil.crypto.ExternalKeys;
import dev.veil.crypto.KeyException;
import dev.veil.crypto.MasterKey;
import dev.veil.crypto.MessageSealer;
import dev.veil.crypto.NamedKeyFiles;
import dev.veil.crypto.OpenPgpKeys;
import dev.veil.crypto.PgpMimeSealer;
import dev.veil.crypto.PseudonymKeys;
import dev.veil.crypto.Pseudonymiser;
import dev.veil.crypto.SmimeSealer;
import dev.veil.crypto.VeilKeys;
import dev.veil.crypto.WebKeyDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's handle on the key stores (S/MIME and OpenPGP, one directory, one master key). If the keys cannot be
 * opened (wrong master key, unreadable files) the gateway still accepts and queues mail, but every seal fails, so
 * every message waits: fail closed, with the reason in the health check.
 */
public final class KeyService {
    private static final Logger LOG = LoggerFactory.getLogger(KeyService.class);
    /** While the keys are unavailable, how often a message or the health check tries to open them again. */
    static final long RETRY_MILLIS = 15_000;

    /**
     * What one attempt to open the keys gave: the stores, or why there are none ({@code problem}). Opened again while
     * unavailable: a black-box probe restored master.key from its backup, and the running server went on deferring
     * every message, its health check naming the missing file, until a restart.
     */
    private record Loaded(VeilKeys smime, OpenPgpKeys openpgp, ExternalKeys external, PseudonymKeys pseudonymKeys,
                          Pseudonymiser pseudonymiser, WebKeyDirectory webKeyDirectory, NamedKeyFiles namedKeys,
                          String problem) {
        static Loaded unavailable(String problem) {
            return new Loaded(null, null, null, null, null, null, null, problem);
        }
    }

    private final Path dataDir;
    private final Map<String, String> env;
    private final WebKeyDirectorySettings wkd;
    private final Supplier<Policy> policies;
    private volatile Loaded loaded;
    private volatile long nextAttempt;
    /** The policy version the organisation keys were last ensured for: not re-checked (under a lock) per message. */
    private volatile String initialisedFor = "";

    private KeyService(Path dataDir, Map<String, String> env, Supplier<Policy> policies, WebKeyDirectorySettings wkd) {
        this.dataDir = dataDir;
        this.env = env;
        this.policies = policies;
        this.wkd = wkd;
    }

    public static Path keyDirectory(Path dataDir) {
        return dataDir.resolve("keys");
    }

    /**
     * The master key from {@code VEIL_MASTER_KEY} or {@code dataDir/master.key}, created there on a first start. Not
     * created when the key store already holds keys: they are wrapped under a key that is missing (the variable not
     * set for this process, the file not restored), and a new one would open none of them — it would only be a wrong
     * key file that looks like the one to back up.
     */
    public static MasterKey masterKey(Path dataDir, Map<String, String> env) {
        Path file = dataDir.resolve("master.key");
        String fromEnv = env.get(MasterKey.ENV_VARIABLE);
        if ((fromEnv == null || fromEnv.isBlank()) && !Files.exists(file) && holdsWrappedKeys(keyDirectory(dataDir))) {
            // IllegalArgumentException, as for a malformed VEIL_MASTER_KEY: the commands print it as one line
            throw new IllegalArgumentException("no master key: " + MasterKey.ENV_VARIABLE + " is not set and "
                    + file.toAbsolutePath() + " does not exist, but " + keyDirectory(dataDir).toAbsolutePath()
                    + " holds keys wrapped under one — set " + MasterKey.ENV_VARIABLE + " or restore master.key from its"
                    + " backup (no new master key is generated over existing keys)");
        }
        return MasterKey.load(env, file, LOG::warn);
    }

    /** Whether the key directory holds any private key wrapped under a master key (organisation, user or pseudonym keys). */
    public static boolean holdsWrappedKeys(Path keyDir) {
        for (String name : new String[] {"ca.pem", "escrow.pem", "openpgp/escrow.asc", "arc-signing.pem"}) {
            if (Files.exists(keyDir.resolve(name))) {
                return true;
            }
        }
        for (String name : new String[] {"users", "retired", "openpgp/users", "openpgp/retired", "pseudonym"}) {
            try (Stream<Path> files = Files.list(keyDir.resolve(name))) {
                if (files.findAny().isPresent()) {
                    return true;
                }
            } catch (IOException absent) {
                // no such directory: nothing there
            }
        }
        return false;
    }

    /** Opens the S/MIME keys with the master key from the environment or {@code dataDir/master.key}. */
    public static VeilKeys openKeys(Path dataDir, Map<String, String> env) throws KeyException {
        return VeilKeys.open(keyDirectory(dataDir), masterKey(dataDir, env));
    }

    /** Opens the OpenPGP keys (same directory, same master key). */
    public static OpenPgpKeys openOpenPgpKeys(Path dataDir, Map<String, String> env) throws KeyException {
        return OpenPgpKeys.open(keyDirectory(dataDir), masterKey(dataDir, env));
    }

    /** Opens the pseudonym keys (same directory, same master key), creating the first version on first use. */
    public static PseudonymKeys openPseudonymKeys(Path dataDir, Map<String, String> env) throws KeyException {
        return PseudonymKeys.open(keyDirectory(dataDir), masterKey(dataDir, env));
    }

    public static KeyService start(Path dataDir, Map<String, String> env, Supplier<Policy> policies) {
        return start(dataDir, env, policies, new WebKeyDirectorySettings());
    }

    public static KeyService start(Path dataDir, Map<String, String> env, Supplier<Policy> policies,
                                   WebKeyDirectorySettings wkd) {
        KeyService service = new KeyService(dataDir, env, policies, wkd);
        service.loaded = service.open();
        service.nextAttempt = System.currentTimeMillis() + RETRY_MILLIS;
        if (service.loaded.problem() != null) {
            LOG.error("keys unavailable — all mail will wait until this is fixed: {}", service.loaded.problem());
        }
        return service;
    }

    /** One attempt to open the key stores and, with a policy in force, make the organisation's keys. */
    private Loaded open() {
        try {
            MasterKey master = masterKey(dataDir, env);
            PseudonymKeys pseudonymKeys = PseudonymKeys.open(keyDirectory(dataDir), master);
            ExternalKeys external = ExternalKeys.open(keyDirectory(dataDir));
            Loaded opened = new Loaded(VeilKeys.open(keyDirectory(dataDir), master),
                    OpenPgpKeys.open(keyDirectory(dataDir), master), external, pseudonymKeys,
                    Pseudonymiser.of(pseudonymKeys), wkd == null ? null : new WebKeyDirectory(external,
                    WebKeyDirectory.defaultClient(wkd.getTimeout().toJavaDuration()), wkd.getTimeout().toJavaDuration(),
                    wkd.getPort(), wkd.getMissCacheTime().toJavaDuration(), java.time.Clock.systemUTC()),
                    new NamedKeyFiles(dataDir), null);
            initialisedFor = "";
            Policy policy = policies.get();
            if (policy != null) {
                ensureOrganisationKeys(opened, policy);
            }
            return opened;
        } catch (KeyException | RuntimeException e) {
            return Loaded.unavailable(e.getMessage());
        }
    }

    /** For tests: the next use tries to open unavailable keys again, without waiting for {@link #RETRY_MILLIS}. */
    void retryNow() {
        nextAttempt = 0;
    }

    /** The keys as last opened; while they are unavailable, opened again at most every {@link #RETRY_MILLIS}. */
    private Loaded loaded() {
        Loaded current = loaded;
        if (current.problem() == null || System.currentTimeMillis() < nextAttempt) {
            return current;
        }
        synchronized (this) {
            current = loaded;
            if (current.problem() != null && System.currentTimeMillis() >= nextAttempt) {
                Loaded again = open();
                nextAttempt = System.currentTimeMillis() + RETRY_MILLIS;
                if (again.problem() == null) {
                    LOG.info("keys available again: waiting mail goes out at its next retry");
                }
                loaded = again;
                current = again;
            }
        }
        return current;
    }

    private void ensureOrganisationKeys(Loaded keys, Policy policy) throws KeyException {
        if (initialisedFor.equals(policy.contentHash())) {
            return;
        }
        KeySettings settings = policy.keys();
        if (settings.formats().contains(Action.Format.SMIME)) {
            keys.smime().initialise(policy.organisation(), settings);
        }
        if (settings.formats().contains(Action.Format.OPENPGP)) {
            keys.openpgp().initialise(policy.organisation(), settings);
        }
        initialisedFor = policy.contentHash();
    }

    /**
     * Reissues the CA's revocation list if it is due ({@link VeilKeys#refreshRevocationList}); never throws, so a
     * scheduled call keeps running: a failure is logged and retried at the next call.
     */
    public void refreshRevocationList() {
        VeilKeys smime = loaded().smime();
        if (smime == null) {
            return;
        }
        try {
            if (smime.refreshRevocationList()) {
                LOG.info("reissued the CA's revocation list keys/ca.crl");
            }
        } catch (KeyException | RuntimeException e) {
            LOG.warn("cannot reissue the CA's revocation list keys/ca.crl (retried tomorrow): {}", e.getMessage());
        }
    }

    /**
     * The pseudonymiser of the key versions present at start (a rotation takes effect at the next start).
     *
     * @throws IllegalStateException when the keys could not be opened: callers must fail closed
     */
    public Pseudonymiser pseudonymiser() {
        Loaded keys = loaded();
        if (keys.pseudonymiser() == null) {
            throw new IllegalStateException("pseudonym keys unavailable: " + keys.problem());
        }
        return keys.pseudonymiser();
    }

    /** Null when the keys are loaded; otherwise why not. */
    public String problem() {
        return loaded().problem();
    }

    /** The health check shows at most this many unusable key files, and how many more there are. */
    static final int HEALTH_PROBLEMS_SHOWN = 5;

    /**
     * For the health check: null when the keys are loaded and every user key file, every imported key file and every
     * named key of the policy in force can be used; otherwise why not. A damaged user key file used to show only when mail to its user waited
     * (found by a black-box probe), and a named key file damaged after the policy was loaded only when mail needing
     * it was quarantined.
     */
    public String healthProblem() {
        Loaded keys = loaded();
        if (keys.problem() != null) {
            return keys.problem();
        }
        List<String> problems = new java.util.ArrayList<>();
        // the running server holds the master key in memory and goes on wrapping new keys under it: a file removed
        // now is found missing only at the next start, when no key opens (a black-box probe's health check was green)
        Path masterFile = dataDir.resolve("master.key");
        String fromEnv = env.get(MasterKey.ENV_VARIABLE);
        if ((fromEnv == null || fromEnv.isBlank()) && !Files.exists(masterFile)) {
            problems.add(masterFile.toAbsolutePath() + " was removed while Veil runs: restore it from its backup now;"
                    + " without it the next start opens no key and all mail waits");
        }
        // a removed escrow key file: all mail to be encrypted waits on it (a probe's health check stayed green)
        keys.smime().escrowProblem().ifPresent(problems::add);
        keys.openpgp().escrowProblem().ifPresent(problems::add);
        problems.addAll(keys.smime().userKeyProblems());
        problems.addAll(keys.openpgp().userKeyProblems());
        problems.addAll(keys.external().problems());
        Policy policy = policies.get();
        if (policy != null && keys.namedKeys() != null) {
            policy.keys().named().values().stream().sorted(java.util.Comparator.comparing(NamedKey::name))
                    .forEach(key -> keys.namedKeys().problem(key)
                            .ifPresent(problems::add)); // "named key 'NAME' (FILE): ..."
        }
        if (problems.isEmpty()) {
            return null;
        }
        String shown = String.join("; ", problems.subList(0, Math.min(HEALTH_PROBLEMS_SHOWN, problems.size())));
        return problems.size() > HEALTH_PROBLEMS_SHOWN
                ? shown + "; and " + (problems.size() - HEALTH_PROBLEMS_SHOWN) + " more unusable key files" : shown;
    }

    /** The sealer for a format; it fails (closed) when the keys are unavailable or no policy is in force. */
    public MessageSealer sealer(Action.Format format) {
        return (original, out, request) -> {
            Loaded keys = loaded();
            if (keys.problem() != null) {
                throw new KeyException("keys unavailable: " + keys.problem());
            }
            Policy policy = policies.get();
            if (policy == null) {
                throw new KeyException("no policy in force");
            }
            ensureOrganisationKeys(keys, policy);
            // keys are made only for the protected domains' users: an outside recipient's must be imported (or found)
            java.util.function.Predicate<String> ownUsers =
                    address -> policy.protects(address.substring(address.lastIndexOf('@') + 1));
            MessageSealer sealer = format == Action.Format.OPENPGP
                    ? new PgpMimeSealer(keys.openpgp(), keys.external(), keys.webKeyDirectory(), keys.namedKeys(),
                            policy.keys(), ownUsers)
                    : new SmimeSealer(keys.smime(), keys.external(), keys.namedKeys(), policy.keys(), ownUsers);
            return sealer.seal(original, out, request);
        };
    }
}
