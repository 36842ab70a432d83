package dev.veil.gateway.core;

import dev.veil.config.NamedKeyCheck;
import dev.veil.config.Policy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import dev.veil.config.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy in force. Swapped atomically as a whole, so no message ever sees half of a policy; a file with
 * errors is refused and the last good policy stays (none at all at start-up means: accept nothing, defer all).
 */
public final class PolicyHolder implements Supplier<Policy> {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyHolder.class);
    private final Path file;
    private final NamedKeyCheck namedKeys;
    private final AtomicReference<Policy> current = new AtomicReference<>();
    private volatile List<Problem> lastProblems = List.of();

    public PolicyHolder(Path file) {
        this(file, NamedKeyCheck.NONE);
    }

    /**
     * @param namedKeys checks the file of each named key at every load: a policy whose rules could only defer their
     *                  mail for want of a readable, usable key is refused like any other policy with errors
     */
    public PolicyHolder(Path file, NamedKeyCheck namedKeys) {
        this.file = file;
        this.namedKeys = namedKeys;
    }

    /** Writes the commented example policy when there is no policy file yet. */
    public void writeExampleIfMissing() throws IOException {
        if (!Files.exists(file)) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Spool.writeAtomically(file, PolicyLoader.exampleYaml().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            LOG.warn("no policy file: wrote the example policy to {} (it protects example.com); edit it for your domains",
                    file);
        }
    }

    /** Loads the file; on errors keeps the previous policy and returns false. */
    public boolean reload() {
        PolicyLoad load = PolicyLoader.load(file, namedKeys);
        lastProblems = load.problems();
        for (Problem p : load.problems()) {
            if (p.severity() == Problem.Severity.ERROR) {
                LOG.error("{}", p.format());
            } else {
                LOG.warn("{}", p.format());
            }
        }
        if (load.hasErrors() || load.policy().isEmpty()) {
            LOG.error("policy {} refused; {}", file, current.get() == null
                    ? "no policy is in force: mail is refused with 451 and queued mail waits"
                    : "the previous policy " + current.get().contentHash().substring(0, 12) + " stays in force");
            return false;
        }
        Policy policy = load.policy().get();
        Policy previous = current.getAndSet(policy);
        if (previous == null || !previous.contentHash().equals(policy.contentHash())) {
            LOG.info("policy {} in force (version {})", file, policy.contentHash().substring(0, 12));
        }
        return true;
    }

    @Override
    public Policy get() {
        return current.get();
    }

    /**
     * The problems of the file on disk now, named key files checked again, without putting anything in force: a key
     * file damaged or removed since the last load shows here rather than when mail needing it is quarantined.
     */
    public List<Problem> currentProblems() {
        return PolicyLoader.load(file, namedKeys).problems();
    }

    public List<Problem> lastProblems() {
        return lastProblems;
    }

    public Path file() {
        return file;
    }
}
