package dev.veil.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.gateway.QueueSettings;
import dev.veil.gateway.db.Database;
import dev.veil.gateway.db.SpoolDao;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start after an unclean stop rebuilds the spool's indexes; one that fails keeps the note of the unclean stop, so the
 * next start checks again. A black-box probe's failed start removed the note on the way down, and the start after it
 * ran on the damaged table unchecked.
 */
class QueueRunnerStartTest {
    @TempDir
    Path dir;

    @Test
    void aStartThatFailsKeepsTheNoteOfTheUncleanStopForTheNext() throws Exception {
        Path data = dir.resolve("data");
        Database closed = Database.openEmbedded(data);
        Spool spool = new Spool(dir.resolve("spool"), new SpoolDao(closed), Clock.systemUTC());
        spool.markRunning(); // a run that was killed
        Path note = dir.resolve("spool/veil.pid");
        QueueSettings settings = new QueueSettings();
        settings.setWorkers(1);
        // the index rebuild fails: the database is gone under it
        closed.close();
        QueueRunner failing = new QueueRunner(new SpoolDao(closed), spool, id -> { }, settings, Clock.systemUTC());
        assertThatThrownBy(failing::start).isInstanceOf(Exception.class);
        failing.stop(); // as Dropwizard stops what it began to start
        assertThat(note).as("still there: the next start checks again").exists();

        Database database = Database.openEmbedded(data);
        try {
            SpoolDao dao = new SpoolDao(database);
            Spool again = new Spool(dir.resolve("spool"), dao, Clock.systemUTC());
            QueueRunner next = new QueueRunner(dao, again, id -> { }, settings, Clock.systemUTC());
            next.start();
            next.stop();
            assertThat(note).as("a clean stop removes it").doesNotExist();
        } finally {
            database.close();
        }
    }
}
