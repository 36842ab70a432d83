package dev.veil.gateway.core;

import io.dropwizard.lifecycle.Managed;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks up edits of the policy file once they have settled: a changed file is loaded when its content has stayed the
 * same for {@code settleMillis}, so that a file caught half-written (an editor or {@code cat >} writing it in parts) is
 * not put in force even where its first part is a valid policy of its own. It compares content hashes rather than
 * trusting modification times (editors and `cp` may keep them), and leaves the rest to {@link PolicyHolder#reload()}:
 * a broken file is refused and the last good policy stays. A file that is gone or cannot be read (permissions, a
 * directory in its place) is reported the same way, through a reload that fails.
 */
public final class PolicyWatcher implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyWatcher.class);
    private final PolicyHolder holder;
    private final long intervalMillis;
    private final long settleMillis;
    /** {@link #lastSeen} of a file that is not there or cannot be read. */
    private static final byte[] UNREADABLE = new byte[0];
    private byte[] lastSeen;
    /** A changed content not yet loaded, and since when it has been the same. */
    private byte[] pending;
    private long pendingSince;
    private int unreadableLooks;
    private String unreadableWhy = "";
    private Thread thread;
    private volatile boolean running;

    /**
     * @param intervalMillis how often the file is looked at
     * @param settleMillis   how long a changed content must stay the same before it is loaded
     */
    public PolicyWatcher(PolicyHolder holder, long intervalMillis, long settleMillis) {
        this.holder = holder;
        this.intervalMillis = intervalMillis;
        this.settleMillis = settleMillis;
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
            look(System.nanoTime() / 1_000_000);
        }
    }

    private void look(long nowMillis) {
        byte[] now = digest();
        if (now != null) {
            unreadableLooks = 0;
            if (Arrays.equals(now, lastSeen)) {
                pending = null;
            } else if (!Arrays.equals(now, pending)) {
                pending = now;
                pendingSince = nowMillis;
                LOG.info("policy file {} changed; loading it once it has not changed for {} ms", holder.file(),
                        settleMillis);
            } else if (nowMillis - pendingSince >= settleMillis) {
                lastSeen = now;
                pending = null;
                LOG.info("policy file {} changed; reloading", holder.file());
                holder.reload();
            }
        } else if (lastSeen != UNREADABLE && ++unreadableLooks >= 2) {
            // gone or unreadable for two looks (not a rename in progress): the reload fails, which records why for
            // /policy and the health check; the last good policy stays in force
            lastSeen = UNREADABLE;
            pending = null;
            if (Files.exists(holder.file())) {
                LOG.error("policy file {} cannot be read ({}); the last good policy stays in force until it can",
                        holder.file(), unreadableWhy);
            } else {
                LOG.error("policy file {} is gone; the last good policy stays in force until it is back", holder.file());
            }
            holder.reload();
        }
    }

    private byte[] digest() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(holder.file()));
        } catch (Exception e) {
            unreadableWhy = e.toString();
            return null; // missing, unreadable or mid-rename: look again next time
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
