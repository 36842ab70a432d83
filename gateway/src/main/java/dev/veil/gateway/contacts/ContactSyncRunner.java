package dev.veil.gateway.contacts;

import dev.veil.gateway.db.ContactJournalDao;
import dev.veil.gateway.core.PeriodicTask;
import io.dropwizard.util.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The server's periodic {@code veil contacts sync} ({@code graph.syncInterval}): one round per mailbox, one at a time. */
public final class ContactSyncRunner extends PeriodicTask {
    private static final Logger LOG = LoggerFactory.getLogger(ContactSyncRunner.class);
    private final ContactSync sync;
    private final ContactJournalDao journal;
    private final List<String> configured;

    public ContactSyncRunner(ContactSync sync, ContactJournalDao journal, List<String> configured, Duration interval) {
        super("contacts-sync", interval, interval);
        this.sync = sync;
        this.journal = journal;
        this.configured = configured;
    }

    /**
     * One round: each mailbox on its own, as {@code veil contacts sync} does it, so a mailbox Graph refuses (one not
     * in the tenant, a lost licence) does not keep the mailboxes after it from being synced, round after round.
     */
    @Override
    protected void runOnce() {
        Set<String> mailboxes = new LinkedHashSet<>();
        configured.forEach(m -> mailboxes.add(m.toLowerCase(Locale.ROOT)));
        try {
            mailboxes.addAll(journal.mailboxes());
        } catch (Exception e) {
            LOG.warn("contacts sync: cannot read the mailboxes of the contacts journal (syncing graph.mailboxes only"
                    + " this round): {}", e.getMessage());
        }
        for (String mailbox : mailboxes) {
            try {
                SyncSummary summary = sync.sync(mailbox, ContactSync.Progress.NONE);
                summary.errors().forEach(e -> LOG.warn("contacts sync {}: {}", mailbox, e));
                LOG.info(summary.line());
            } catch (Exception e) {
                LOG.warn("contacts sync {} failed (next round in {}): {}", mailbox, interval(), e.getMessage());
            }
        }
    }
}
