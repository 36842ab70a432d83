package dev.veil.gateway.core;

import io.dropwizard.lifecycle.Managed;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks up edits of the policy file within a second or two. It compares content hashes rather than trusting
 * modification times (editors and `cp` may keep them), and leaves the rest to {@link PolicyHolder#reload()}: a
 * broken file is refused and the last good policy stays.
 */
public final class PolicyWatcher implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyWatcher.class);
    private final PolicyHolder holder;
    private final long intervalMillis;
    /** {@link #lastSeen} of a file that is not there. */
    private static final byte[] MISSING = new byte[0];
    private byte[] lastSeen;
    private int missingSince;
    private Thread thread;
    private volatile boolean running;

    public PolicyWatcher(PolicyHolder holder, long intervalMillis) {
        this.holder = holder;
        this.intervalMillis = intervalMillis;
    }

    @Override
    public void start() {
        lastSeen = digest();
        running = true;
        thread = new Thread(this::watch, "veil-policy-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void watch() {
        while (running) {
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            }
            byte[] now = digest();
            if (now != null && !Arrays.equals(now, lastSeen)) {
                lastSeen = now;
                missingSince = 0;
                LOG.info("policy file {} changed; reloading", holder.file());
                holder.reload();
            } else if (now == null && !Files.exists(holder.file()) && lastSeen != MISSING && ++missingSince >= 2) {
                // gone for two looks (not a rename in progress): the reload fails, which records why for /policy and
                // the health check; the last good policy stays in force
                lastSeen = MISSING;
                LOG.error("policy file {} is gone; the last good policy stays in force until it is back", holder.file());
                holder.reload();
            }
        }
    }

    private byte[] digest() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(holder.file()));
        } catch (Exception e) {
            return null; // missing or mid-rename: look again next time
        }
    }

    @Override
    public void stop() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
