package dev.veil.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.TestClock;
import dev.veil.gateway.db.Database;
import dev.veil.gateway.db.MessageIdPartyDao;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who took part in which message is written off the pipeline's path, and what waits is written at stop. */
class MessagePartyWriterTest {
    @TempDir
    Path dir;

    @Test
    void recordsInTheBackgroundAndWritesWhatWaitsAtStop() throws Exception {
        Database db = Database.openEmbedded(dir);
        try {
            MessageIdPartyDao dao = new MessageIdPartyDao(db);
            MessagePartyWriter writer = new MessagePartyWriter(dao, new TestClock(Instant.parse("2030-01-01T00:00:00Z")));
            writer.start();
            writer.record(List.of("a@x.example"), Set.of("c-bob"));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!dao.knownToAny("a@x.example", Set.of("c-bob")) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(dao.knownToAny("a@x.example", Set.of("c-bob"))).as("written by its thread").isTrue();

            for (int i = 0; i < 1200; i++) {
                writer.record(List.of("m" + i + "@x.example"), Set.of("c-carol"));
            }
            writer.record(List.of(), Set.of("c-nobody")); // nothing to record
            writer.stop();
            assertThat(dao.knownToAny("m0@x.example", Set.of("c-carol"))).isTrue();
            assertThat(dao.knownToAny("m1199@x.example", Set.of("c-carol"))).as("written at stop").isTrue();
            assertThat(dao.knownToAny("m1199@x.example", Set.of("c-bob"))).isFalse();
        } finally {
            db.close();
        }
    }
}
