package dev.veil.gateway.db;

import dev.veil.config.Direction;
import dev.veil.gateway.core.AuditRecord;
import dev.veil.gateway.core.Envelope;
import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.SpoolEntry;
import dev.veil.gateway.core.SpoolState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The spool table: one row per queued message. Every state change is a single committed statement. */
public final class SpoolDao {
    private static final String COLUMNS =
            "id, direction, sender, recipients, size, state, attempts, received_at, next_attempt_at, last_error,"
                    + " client_address, helo";
    private final Database database;

    public SpoolDao(Database database) {
        this.database = database;
    }

    public void insert(QueueId id, Envelope envelope, long size, Instant now) throws SQLException {
        insert(id, Direction.INBOUND, envelope, size, now);
    }

    public void insert(QueueId id, Direction direction, Envelope envelope, long size, Instant now) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("INSERT INTO spool (" + COLUMNS
                     + ", updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, NULL, ?, ?, ?)")) {
            s.setString(1, id.value());
            s.setString(2, direction.name());
            s.setString(3, envelope.sender());
            s.setString(4, String.join("\n", envelope.recipients()));
            s.setLong(5, size);
            s.setString(6, SpoolState.RECEIVED.name());
            s.setLong(7, now.toEpochMilli());
            s.setLong(8, now.toEpochMilli());
            s.setString(9, envelope.clientAddress());
            s.setString(10, truncate(envelope.helo()));
            s.setLong(11, now.toEpochMilli());
            s.executeUpdate();
        }
    }

    /** Entries that are due now, oldest first. */
    public List<QueueId> due(Instant now, int limit) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT id FROM spool WHERE state IN ('RECEIVED', 'DEFERRED')"
                     + " AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?")) {
            s.setLong(1, now.toEpochMilli());
            s.setInt(2, limit);
            List<QueueId> ids = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    ids.add(new QueueId(r.getString(1)));
                }
            }
            return ids;
        }
    }

    /**
     * Takes an entry for processing. The compare-and-set on the state means two workers (or two nodes) never
     * process the same message.
     */
    public boolean claim(QueueId id, Instant now) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("UPDATE spool SET state = 'PROCESSING', updated_at = ?"
                     + " WHERE id = ? AND state IN ('RECEIVED', 'DEFERRED') AND next_attempt_at <= ?")) {
            s.setLong(1, now.toEpochMilli());
            s.setString(2, id.value());
            s.setLong(3, now.toEpochMilli());
            return s.executeUpdate() == 1;
        }
    }

    public void finish(QueueId id, SpoolState state, String error, Instant now) throws SQLException {
        finish(id, state, error, now, List.of());
    }

    /** Moves the entry to a final state; its audit rows commit in the same transaction (one disk write, not two). */
    public void finish(QueueId id, SpoolState state, String error, Instant now, List<AuditRecord> audit)
            throws SQLException {
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE spool SET state = ?, last_error = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?")) {
                s.setString(1, state.name());
                s.setString(2, truncate(error));
                s.setLong(3, now.toEpochMilli());
                s.setString(4, id.value());
                s.executeUpdate();
            }
        }, audit);
    }

    private interface Work {
        void run(Connection c) throws SQLException;
    }

    private void inTransaction(Work work, List<AuditRecord> audit) throws SQLException {
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                work.run(c);
                for (AuditRecord a : audit) {
                    AuditDao.insert(c, a);
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /**
     * Schedules another attempt for the recipients still to be delivered; the envelope is narrowed to them in the
     * same statement, so a retry never repeats a delivery.
     */
    public void defer(QueueId id, List<String> remaining, String error, Instant nextAttempt, Instant now)
            throws SQLException {
        defer(id, remaining, error, nextAttempt, now, List.of());
    }

    public void defer(QueueId id, List<String> remaining, String error, Instant nextAttempt, Instant now,
                      List<AuditRecord> audit) throws SQLException {
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE spool SET state = 'DEFERRED', recipients = ?,"
                    + " last_error = ?, attempts = attempts + 1, next_attempt_at = ?, updated_at = ? WHERE id = ?")) {
                s.setString(1, String.join("\n", remaining));
                s.setString(2, truncate(error));
                s.setLong(3, nextAttempt.toEpochMilli());
                s.setLong(4, now.toEpochMilli());
                s.setString(5, id.value());
                s.executeUpdate();
            }
        }, audit);
    }

    /**
     * Holds the entry for an admin, its envelope narrowed to the recipients not yet delivered or bounced (as
     * {@link #defer} does), so that releasing it later never repeats a delivery.
     */
    public void quarantine(QueueId id, List<String> remaining, String error, Instant now, List<AuditRecord> audit)
            throws SQLException {
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE spool SET state = 'QUARANTINED', recipients = ?,"
                    + " last_error = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?")) {
                s.setString(1, String.join("\n", remaining));
                s.setString(2, truncate(error));
                s.setLong(3, now.toEpochMilli());
                s.setString(4, id.value());
                s.executeUpdate();
            }
        }, audit);
    }

    /** The states an admin may release or delete an entry in; a worker holds the entry in any other. */
    private static final String HELD_BY_ADMIN = " AND state IN ('QUARANTINED', 'DEFERRED')";

    /**
     * Admin "release"/"retry": a quarantined or deferred entry becomes due now and goes through the pipeline again,
     * under the policy then in force (fail closed as ever). False when the entry is in no such state (a worker may
     * hold it right now).
     */
    public boolean requeue(QueueId id, Instant now, AuditRecord audit) throws SQLException {
        return changeHeldEntry("UPDATE spool SET state = 'DEFERRED', next_attempt_at = ?, updated_at = ? WHERE id = ?"
                + HELD_BY_ADMIN, s -> {
                    s.setLong(1, now.toEpochMilli());
                    s.setLong(2, now.toEpochMilli());
                    s.setString(3, id.value());
                }, audit);
    }

    /**
     * Admin "delete": drops a quarantined or deferred entry's row (the caller then removes its files). The state
     * condition is in the statement, so a worker that claimed the entry meanwhile keeps it. False when nothing was
     * dropped.
     */
    public boolean delete(QueueId id, AuditRecord audit) throws SQLException {
        return changeHeldEntry("DELETE FROM spool WHERE id = ?" + HELD_BY_ADMIN, s -> s.setString(1, id.value()), audit);
    }

    private interface Parameters {
        void set(PreparedStatement s) throws SQLException;
    }

    /** Runs an admin's statement on one entry; the audit row commits with it, and only if it changed the entry. */
    private boolean changeHeldEntry(String sql, Parameters parameters, AuditRecord audit) throws SQLException {
        boolean[] changed = {false};
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                parameters.set(s);
                changed[0] = s.executeUpdate() == 1;
            }
            if (changed[0]) {
                AuditDao.insert(c, audit);
            }
        }, List.of());
        return changed[0];
    }

    /** Puts an entry whose processing broke off back in line, a little later. */
    public void release(QueueId id, Instant nextAttempt, Instant now) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("UPDATE spool SET state = 'DEFERRED', next_attempt_at = ?,"
                     + " updated_at = ? WHERE id = ? AND state = 'PROCESSING'")) {
            s.setLong(1, nextAttempt.toEpochMilli());
            s.setLong(2, now.toEpochMilli());
            s.setString(3, id.value());
            s.executeUpdate();
        }
    }

    /** After a crash, entries left in processing are taken up again: the spool file is still there. */
    public int resumeInterrupted(Instant now) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement(
                     "UPDATE spool SET state = 'RECEIVED', next_attempt_at = ?, updated_at = ? WHERE state = 'PROCESSING'")) {
            s.setLong(1, now.toEpochMilli());
            s.setLong(2, now.toEpochMilli());
            return s.executeUpdate();
        }
    }

    /**
     * Rebuilds the spool table's indexes from its rows. Run at start after a run that did not stop cleanly: a kill
     * during a commit has left H2 with a row its due index did not list (seen once in the random-kill test: an
     * acknowledged message, its row in state received, never picked up through three restarts). The rows are what
     * the queue trusts; indexes are derived from them and can be rebuilt at any time.
     *
     * @return what the due index listed before the rebuild, against what the rows say
     */
    public IndexCheck rebuildIndexes() throws SQLException {
        try (Connection c = database.connection(); Statement s = c.createStatement()) {
            long waitingByRows = count(s, "SELECT COUNT(*) FROM spool USE INDEX ()"
                    + " WHERE state IN ('RECEIVED', 'DEFERRED', 'PROCESSING')");
            long waitingByIndex = count(s, "SELECT COUNT(*) FROM spool USE INDEX (spool_due)"
                    + " WHERE state IN ('RECEIVED', 'DEFERRED', 'PROCESSING')");
            s.execute("DROP INDEX IF EXISTS spool_due");
            s.execute("CREATE INDEX spool_due ON spool (state, next_attempt_at)");
            // each statement commits on its own: a kill between these two left a table without its primary key, and
            // every later start failed on the drop (a black-box probe). So the drop only when there is one to drop
            if (count(s, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS WHERE TABLE_NAME = 'SPOOL'"
                    + " AND CONSTRAINT_TYPE = 'PRIMARY KEY'") > 0) {
                s.execute("ALTER TABLE spool DROP PRIMARY KEY");
            }
            s.execute("ALTER TABLE spool ADD PRIMARY KEY (id)");
            return new IndexCheck(waitingByRows, waitingByIndex);
        }
    }

    /** Waiting entries (received, deferred, processing) counted from the rows and through the due index. */
    public record IndexCheck(long waitingByRows, long waitingByIndex) {
        public boolean consistent() {
            return waitingByRows == waitingByIndex;
        }
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    /**
     * Deletes the rows of relayed and bounced messages last changed before {@code cutoff}: their queue files are
     * gone, and the audit table keeps what happened to them. Quarantined entries stay (their files are still in the
     * spool, for an admin to look at). Keeps the table, and the index rebuild after an unclean stop, small.
     *
     * @return how many rows were deleted
     */
    public int deleteFinishedBefore(Instant cutoff) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement(
                     "DELETE FROM spool WHERE state IN ('RELAYED', 'BOUNCED') AND updated_at < ?")) {
            s.setLong(1, cutoff.toEpochMilli());
            return s.executeUpdate();
        }
    }

    /** Makes what was committed so far durable ({@link Database#checkpoint}). */
    public void checkpoint() throws SQLException {
        database.checkpoint();
    }

    /** Makes every deferred entry due now (admin "flush"). */
    public int flush(Instant now) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement(
                     "UPDATE spool SET next_attempt_at = ? WHERE state = 'DEFERRED'")) {
            s.setLong(1, now.toEpochMilli());
            return s.executeUpdate();
        }
    }

    public Optional<SpoolEntry> find(QueueId id) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM spool WHERE id = ?")) {
            s.setString(1, id.value());
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(read(r)) : Optional.empty();
            }
        }
    }

    /** The newest entries, optionally only those in one state. */
    public List<SpoolEntry> list(Optional<SpoolState> state, int limit) throws SQLException {
        String where = state.map(x -> " WHERE state = ?").orElse("");
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM spool" + where
                     + " ORDER BY received_at DESC, id DESC LIMIT ?")) {
            int i = 1;
            if (state.isPresent()) {
                s.setString(i++, state.get().name());
            }
            s.setInt(i, limit);
            List<SpoolEntry> entries = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    entries.add(read(r));
                }
            }
            return entries;
        }
    }

    public long count(SpoolState state) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM spool WHERE state = ?")) {
            s.setString(1, state.name());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private static SpoolEntry read(ResultSet r) throws SQLException {
        return new SpoolEntry(
                new QueueId(r.getString("id")),
                Direction.valueOf(r.getString("direction")),
                new Envelope(r.getString("sender"), Arrays.asList(r.getString("recipients").split("\n")),
                        r.getString("client_address"), r.getString("helo")),
                r.getLong("size"),
                SpoolState.valueOf(r.getString("state")),
                r.getInt("attempts"),
                Instant.ofEpochMilli(r.getLong("received_at")),
                Instant.ofEpochMilli(r.getLong("next_attempt_at")),
                r.getString("last_error"));
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 2000 ? s : s.substring(0, 2000);
    }
}
