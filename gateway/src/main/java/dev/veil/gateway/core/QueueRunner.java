package dev.veil.gateway.core;

import dev.veil.gateway.QueueSettings;
import dev.veil.gateway.db.SpoolDao;
import io.dropwizard.lifecycle.Managed;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Workers that take queue ids and run them through the pipeline. New mail is handed over at once; a scan of the
 * spool table every poll interval finds deferred entries that are due, and — at start — everything a crash left
 * behind. The table is the truth: the in-memory hand-over is only a hint.
 */
public final class QueueRunner implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(QueueRunner.class);
    /** How often finished rows past {@code queue.keepFinished} are removed. */
    private static final java.time.Duration PRUNE_EVERY = java.time.Duration.ofHours(1);
    private static final java.time.Duration FORGET_SETTLED_EVERY = java.time.Duration.ofSeconds(5);
    private final SpoolDao dao;
    private final Spool spool;
    private final Processor processor;
    private final QueueSettings settings;
    private final Clock clock;
    private final LinkedBlockingQueue<QueueId> ready = new LinkedBlockingQueue<>();
    private final Set<QueueId> pending = ConcurrentHashMap.newKeySet();
    /**
     * Entries a worker could not put back in line (the database failed as it tried): still "processing" in the table,
     * which no worker takes, flush does not touch and an admin may not release or delete. The scanner puts them back
     * once the database answers again (a black-box probe's stayed so until a restart).
     */
    private final Set<QueueId> stranded = ConcurrentHashMap.newKeySet();
    private ExecutorService workers;
    private Thread scanner;
    private volatile boolean running;
    /**
     * Whether {@link #start} got to the end: a start that failed (its index rebuild, its recovery) keeps the note of an
     * unclean stop, so the next start checks again. A probe's failed start removed it, and the next one ran unchecked.
     */
    private volatile boolean started;

    /** What the workers run for each claimed entry ({@code MessageProcessor::process}). */
    @FunctionalInterface
    public interface Processor {
        void process(QueueId id) throws Exception;
    }

    public QueueRunner(SpoolDao dao, Spool spool, Processor processor, QueueSettings settings, Clock clock) {
        this.dao = dao;
        this.spool = spool;
        this.processor = processor;
        this.settings = settings;
        this.clock = clock;
    }

    /** Called by the SMTP listener after a message is durable. */
    public void queued(QueueId id) {
        if (pending.add(id)) {
            ready.offer(id);
        }
    }

    @Override
    public void start() throws Exception {
        if (spool.markRunning()) {
            // indexes first: recovery looks rows up by id, and the workers find due entries through the due index
            SpoolDao.IndexCheck check = dao.rebuildIndexes();
            if (check.consistent()) {
                LOG.info("the last run did not stop cleanly: spool indexes rebuilt ({} waiting entr(y/ies))",
                        check.waitingByRows());
            } else {
                LOG.warn("the last run did not stop cleanly and the spool's due index had gone wrong: it listed {}"
                        + " waiting entr(y/ies), the rows say {}; rebuilt", check.waitingByIndex(),
                        check.waitingByRows());
            }
        }
        int stale = spool.removeStale();
        int rebuilt = spool.recover();
        int resumed = dao.resumeInterrupted(clock.instant());
        if (stale > 0 || resumed > 0 || rebuilt > 0) {
            LOG.info("recovery: {} unfinished upload(s) removed, {} lost row(s) rebuilt from envelope files,"
                    + " {} interrupted entr(y/ies) resumed", stale, rebuilt, resumed);
        }
        running = true;
        AtomicInteger n = new AtomicInteger();
        workers = Executors.newFixedThreadPool(settings.getWorkers(), r -> {
            Thread t = new Thread(r, "veil-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < settings.getWorkers(); i++) {
            workers.submit(this::work);
        }
        scanner = new Thread(this::scan, "veil-queue-scanner");
        scanner.setDaemon(true);
        scanner.start();
        started = true;
    }

    private void scan() {
        long interval = Math.max(50, settings.getPollInterval().toMilliseconds());
        java.time.Instant nextPrune = clock.instant();
        long nextForget = System.nanoTime();
        while (running) {
            try {
                if (System.nanoTime() - nextForget >= 0) {
                    // settled messages leave a note each until a checkpoint makes their final state durable: one
                    // checkpoint every few seconds, not one per message
                    nextForget = System.nanoTime() + FORGET_SETTLED_EVERY.toNanos();
                    spool.forgetSettled();
                }
                for (QueueId id : List.copyOf(stranded)) {
                    dao.release(id, clock.instant(), clock.instant());
                    stranded.remove(id);
                    LOG.info("{}: put back in line after the database answered again", id);
                }
                List<QueueId> due = dao.due(clock.instant(), 500);
                for (QueueId id : due) {
                    queued(id);
                }
                if (!clock.instant().isBefore(nextPrune)) {
                    nextPrune = clock.instant().plus(PRUNE_EVERY);
                    int pruned = dao.deleteFinishedBefore(
                            clock.instant().minus(settings.getKeepFinished().toJavaDuration()));
                    if (pruned > 0) {
                        LOG.info("removed {} finished entr(y/ies) older than {} from the spool table", pruned,
                                settings.getKeepFinished());
                    }
                }
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // also seen once at shutdown, when H2's own shutdown hook closes the database first
                LOG.warn("queue scan failed, retrying: {}", e.getMessage());
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void work() {
        while (running) {
            QueueId id;
            try {
                id = ready.poll(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (id == null) {
                continue;
            }
            try {
                if (dao.claim(id, clock.instant())) {
                    processor.process(id);
                }
            } catch (Exception e) {
                // the spool file is untouched; the entry goes back in line (or, if even that fails, is resumed at
                // the next start)
                LOG.error("{}: processing failed: {}", id, e.toString(), e);
                try {
                    dao.release(id, clock.instant().plus(settings.getInitialRetryDelay().toJavaDuration()),
                            clock.instant());
                } catch (Exception again) {
                    stranded.add(id);
                    LOG.error("{}: could not put it back in line (tried again each scan): {}", id, again.getMessage());
                }
            } finally {
                pending.remove(id);
            }
        }
    }

    /** Makes deferred entries due now and wakes the workers (admin flush). */
    public int flush() throws Exception {
        int n = dao.flush(clock.instant());
        for (QueueId id : dao.due(clock.instant(), 500)) {
            queued(id);
        }
        return n;
    }

    /**
     * Admin release (of a quarantined entry) or retry (of a deferred one): due now, through the pipeline again under
     * the policy in force. False when the entry is not quarantined or deferred.
     */
    public boolean release(QueueId id) throws Exception {
        // the hold note goes before the row changes: once due, a worker may quarantine the entry again at once,
        // with a note of its own that must stay
        java.util.Optional<Spool.Hold> hold = spool.findHold(id);
        List<String> releasedBefore = spool.releasedFrom(id);
        if (hold.isPresent()) {
            spool.markReleased(id, hold.get().reason()); // the admin's decision, for the step that held it
        }
        spool.unhold(id);
        boolean done = dao.requeue(id, clock.instant(), adminAudit(id, "released", "released by an admin"));
        if (!done && hold.isPresent()) {
            spool.hold(id, hold.get().recipients(), hold.get().reason()); // nothing was released: still held
            if (releasedBefore.isEmpty()) {
                java.nio.file.Files.deleteIfExists(spool.releasedFile(id));
            }
        }
        if (done) {
            LOG.info("{}: released by an admin", id);
            queued(id);
        }
        return done;
    }

    /**
     * Admin delete of a quarantined or deferred entry: its row (audited) and then its files. Only what an admin
     * names goes; a crash between the two leaves the files, and the next start gives the row back (kept, not lost).
     */
    public boolean delete(QueueId id) throws Exception {
        boolean done = dao.delete(id, adminAudit(id, "deleted", "deleted by an admin; not delivered"));
        if (done) {
            spool.remove(id);
            LOG.warn("{}: deleted by an admin; not delivered", id);
        }
        return done;
    }

    private AuditRecord adminAudit(QueueId id, String outcome, String detail) throws Exception {
        List<String> recipients = dao.find(id).map(e -> e.envelope().recipients()).orElse(List.of());
        return new AuditRecord(id.value(), clock.instant(), "admin", recipients, null, null, List.of(), outcome,
                detail);
    }

    @Override
    public void stop() throws Exception {
        running = false;
        if (scanner != null) {
            scanner.interrupt();
        }
        if (workers != null) {
            workers.shutdown();
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        }
        if (started) {
            spool.markStopped();
        }
    }
}
