package dev.veil.gateway.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.health.DatabaseHealthCheck;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * H2 closes a database whose store fails (a full disk) under its open sessions: they still say they are valid, and
 * every statement fails with "The database has been closed". The pool throws such sessions away, so the next
 * connection opens the file again, and the health check asks with a query. A black-box probe's gateway stayed so,
 * refusing all mail and reporting a healthy database, until it was restarted.
 */
class DatabaseClosedByH2Test {
    @TempDir
    Path dir;

    @Test
    void theNextConnectionAfterH2ClosedTheDatabaseOpensItAgain() throws Exception {
        Database database = Database.openEmbedded(dir);
        try {
            try (Connection c = database.connection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO sent_message_id (id_hash, first_seen) VALUES (X'01', 1)");
            }
            List<Connection> warm = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                warm.add(database.connection());
            }
            for (Connection c : warm) {
                c.close(); // idle sessions of the database about to close
            }
            try (Connection c = database.connection()) {
                org.h2.engine.SessionLocal session = (org.h2.engine.SessionLocal) c.unwrap(org.h2.jdbc.JdbcConnection.class)
                        .getSession();
                session.getDatabase().getStore().getMvStore().closeImmediately(); // what a failed write does
            }
            DatabaseHealthCheck health = new DatabaseHealthCheck(database);
            List<Boolean> healthy = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            long rows = -1;
            for (int attempt = 0; attempt < 3 && rows < 0; attempt++) {
                healthy.add(health.execute().isHealthy());
                try (Connection c = database.connection(); Statement s = c.createStatement();
                     ResultSet r = s.executeQuery("SELECT COUNT(*) FROM sent_message_id")) {
                    r.next();
                    rows = r.getLong(1);
                } catch (SQLException e) {
                    errors.add(e.getMessage());
                }
            }
            assertThat(healthy).as("the check saw the closed database").startsWith(false);
            assertThat(rows).as("read again after %s", errors).isEqualTo(1);
            assertThat(health.execute().isHealthy()).isTrue();
        } finally {
            database.close();
        }
    }
}
