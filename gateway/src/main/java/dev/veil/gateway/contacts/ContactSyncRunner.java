package dev.veil.gateway.contacts;

import dev.veil.gateway.db.ContactJournalDao;
import io.dropwizard.lifecycle.Managed;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The server's periodic {@code veil contacts sync} ({@code graph.syncInterval}): one round per mailbox, one at a time. */
public final class ContactSyncRunner implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(ContactSyncRunner.class);
    private final ContactSync sync;
    private final ContactJournalDao journal;
    private final List<String> configured;
    private final Duration interval;
    private ScheduledExecutorService executor;

    public ContactSyncRunner(ContactSync sync, ContactJournalDao journal, List<String> configured, Duration interval) {
        this.sync = sync;
        this.journal = journal;
        this.configured = configured;
        this.interval = interval;
    }

    @Override
    public void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "contacts-sync");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::round, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    void round() {
        try {
            Set<String> mailboxes = new LinkedHashSet<>();
            configured.forEach(m -> mailboxes.add(m.toLowerCase(Locale.ROOT)));
            mailboxes.addAll(journal.mailboxes());
            for (String mailbox : mailboxes) {
                SyncSummary summary = sync.sync(mailbox, ContactSync.Progress.NONE);
                summary.errors().forEach(e -> LOG.warn("contacts sync {}: {}", mailbox, e));
                LOG.info(summary.line());
            }
        } catch (Exception e) {
            LOG.warn("contacts sync round failed (next round in {}): {}", interval, e.getMessage());
        }
    }

    @Override
    public void stop() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
