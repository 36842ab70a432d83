package dev.veil.gateway.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConnectionPoolTest {
    private ConnectionPool pool;

    @BeforeEach
    void open() throws Exception {
        pool = new ConnectionPool("jdbc:h2:mem:pool-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", "sa", "", 2);
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id INT PRIMARY KEY)");
        }
    }

    @AfterEach
    void close() {
        pool.close();
    }

    @Test
    void aReturnedConnectionKeepsItsSessionForTheNextUse() throws Exception {
        int first;
        try (Connection c = pool.getConnection()) {
            first = sessionId(c);
        }
        try (Connection c = pool.getConnection()) {
            assertThat(sessionId(c)).as("the same H2 session, with its parsed statements").isEqualTo(first);
        }
    }

    @Test
    void aTransactionLeftOpenIsRolledBackBeforeTheConnectionIsUsedAgain() throws Exception {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("INSERT INTO t VALUES (1)");
            // closed without commit, as after an exception
        }
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT COUNT(*) FROM t")) {
            assertThat(c.getAutoCommit()).isTrue();
            r.next();
            assertThat(r.getInt(1)).isZero();
        }
    }

    @Test
    void aClosedHandleCannotBeUsedAndClosingTwiceReturnsItOnce() throws Exception {
        Connection c = pool.getConnection();
        c.close();
        c.close();
        assertThat(c.isClosed()).isTrue();
        assertThatThrownBy(c::createStatement).isInstanceOf(SQLException.class).hasMessageContaining("after close()");
        // both permits are free again: two connections at once work
        try (Connection a = pool.getConnection(); Connection b = pool.getConnection()) {
            assertThat(sessionId(a)).isNotEqualTo(sessionId(b));
        }
    }

    private static int sessionId(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT SESSION_ID()")) {
            r.next();
            return r.getInt(1);
        }
    }
}
