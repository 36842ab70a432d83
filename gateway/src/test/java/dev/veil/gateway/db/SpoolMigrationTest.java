package dev.veil.gateway.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.config.Direction;
import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.SpoolEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A database made before spool entries had a direction opens, and its entries read as inbound. */
class SpoolMigrationTest {
    @TempDir
    Path dataDir;

    @Test
    void entriesOfADatabaseWithoutTheDirectionColumnBecomeInbound() throws Exception {
        Files.createDirectories(dataDir.resolve("db"));
        String url = "jdbc:h2:file:" + dataDir.resolve("db").resolve("veil");
        try (Connection c = DriverManager.getConnection(url, "veil", ""); Statement s = c.createStatement()) {
            // the schema as it was before the outbound listener
            s.execute("""
                    CREATE TABLE spool (
                      id VARCHAR(40) PRIMARY KEY, sender VARCHAR(1024) NOT NULL, recipients VARCHAR NOT NULL,
                      size BIGINT NOT NULL, state VARCHAR(16) NOT NULL, attempts INT NOT NULL,
                      received_at BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
                      last_error VARCHAR(2000))""");
            s.execute("INSERT INTO spool VALUES ('01J0000000ABCDEFGHJK', 'a@x.test', 'bob@example.com', 10,"
                    + " 'DEFERRED', 1, 0, 0, 0, NULL)");
        }

        Database database = Database.openEmbedded(dataDir);
        try {
            Optional<SpoolEntry> entry = new SpoolDao(database).find(new QueueId("01J0000000ABCDEFGHJK"));
            assertThat(entry).isPresent();
            assertThat(entry.get().direction()).isEqualTo(Direction.INBOUND);
            assertThat(entry.get().envelope().recipients()).containsExactly("bob@example.com");
        } finally {
            database.close();
        }
        // and opening it again (the column now exists) changes nothing
        Database again = Database.openEmbedded(dataDir);
        again.close();
    }
}
