package dev.veil.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.QueueSettings;
import dev.veil.gateway.db.Database;
import dev.veil.gateway.db.SpoolDao;
import io.dropwizard.util.Duration;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An entry whose processing failed while the database failed too cannot be put back in line at once; it must not stay
 * "processing" (which no worker takes and an admin cannot release) until a restart, as a black-box probe's did after
 * a full disk: the runner puts it back once the database answers, and it is processed again.
 */
class QueueRunnerStrandedTest {
    @TempDir
    Path dir;

    @Test
    void anEntryThatCouldNotBePutBackIsPutBackWhenTheDatabaseAnswersAgain() throws Exception {
        Database database = Database.openEmbedded(dir.resolve("data"));
        SpoolDao dao = new SpoolDao(database);
        Spool spool = new Spool(dir.resolve("spool"), dao, Clock.systemUTC());
        IncomingMessage message = spool.begin(0);
        message.write("Subject: s\r\n\r\nbody\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        QueueId id = spool.accept(message, new Envelope("a@sender.test", List.of("bob@example.com"), null, null));
        List<QueueId> processed = new CopyOnWriteArrayList<>();
        QueueSettings settings = new QueueSettings();
        settings.setWorkers(1);
        settings.setPollInterval(Duration.milliseconds(100));
        settings.setInitialRetryDelay(Duration.milliseconds(1));
        QueueRunner runner = new QueueRunner(dao, spool, queued -> {
            processed.add(queued);
            if (processed.size() == 1) {
                // the database fails under the worker for a while (as when the disk fills up): here another session
                // holds the entry's row for three seconds, so putting it back fails too (H2's lock timeout)
                java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
                Thread holder = new Thread(() -> {
                    try (Connection c = database.connection()) {
                        c.setAutoCommit(false);
                        try (var s = c.prepareStatement("UPDATE spool SET updated_at = updated_at WHERE id = ?")) {
                            s.setString(1, queued.value());
                            s.executeUpdate();
                        }
                        held.countDown();
                        Thread.sleep(3000);
                        c.rollback();
                    } catch (Exception e) {
                        held.countDown();
                    }
                });
                holder.start();
                held.await();
                throw new IllegalStateException("processing failed with the database");
            }
            dao.finish(queued, SpoolState.RELAYED, null, java.time.Instant.now());
        }, settings, Clock.systemUTC());
        runner.start();
        try {
            runner.queued(id);
            long deadline = System.currentTimeMillis() + 20_000;
            while (processed.size() < 2 && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
        } finally {
            runner.stop();
            database.close();
        }
        assertThat(processed).as("processed again after the database came back").containsExactly(id, id);
    }
}
