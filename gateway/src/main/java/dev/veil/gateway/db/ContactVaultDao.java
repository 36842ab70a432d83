package dev.veil.gateway.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The contacts vault: per mailbox and vault id, the real card as ciphertext (never plaintext: the caller encrypts
 * before {@link #put}), the pseudonym key version it is encrypted under, and when it was stored. Plain SQL that H2 and
 * PostgreSQL both run. {@code previous_id} is the vault id a row had before a key rotation re-sealed it, so the
 * sealed contacts still in Exchange (which carry the old id until the sync rewrites them) keep resolving.
 */
public final class ContactVaultDao {
    private final Database database;

    /** One vault row. */
    public record Row(String mailbox, String vaultId, String previousId, int keyVersion, String ciphertext,
                      Instant createdAt, Instant updatedAt) {
    }

    public ContactVaultDao(Database database) {
        this.database = database;
    }

    /** Creates the table on a new database and on one made before the vault existed (idempotent). */
    static void migrate(Statement s) throws SQLException {
        s.execute("""
                CREATE TABLE IF NOT EXISTS contact_vault (
                  mailbox VARCHAR(320) NOT NULL,
                  vault_id VARCHAR(64) NOT NULL,
                  previous_id VARCHAR(64),
                  key_version INT NOT NULL,
                  ciphertext TEXT NOT NULL,
                  created_at BIGINT NOT NULL,
                  updated_at BIGINT NOT NULL,
                  PRIMARY KEY (mailbox, vault_id)
                )""");
        s.execute("CREATE INDEX IF NOT EXISTS contact_vault_id ON contact_vault (vault_id)");
        s.execute("CREATE INDEX IF NOT EXISTS contact_vault_previous ON contact_vault (previous_id)");
        s.execute("CREATE INDEX IF NOT EXISTS contact_vault_version ON contact_vault (key_version)");
    }

    /** Stores or replaces the row of (mailbox, vault id); the creation time of an existing row stays. */
    public void put(String mailbox, String vaultId, int keyVersion, String ciphertext, Instant now) throws SQLException {
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                if (update(c, mailbox, vaultId, keyVersion, ciphertext, now) == 0) {
                    try (PreparedStatement s = c.prepareStatement("INSERT INTO contact_vault (mailbox, vault_id, previous_id,"
                            + " key_version, ciphertext, created_at, updated_at) VALUES (?, ?, NULL, ?, ?, ?, ?)")) {
                        s.setString(1, mailbox);
                        s.setString(2, vaultId);
                        s.setInt(3, keyVersion);
                        s.setString(4, ciphertext);
                        s.setLong(5, now.toEpochMilli());
                        s.setLong(6, now.toEpochMilli());
                        s.executeUpdate();
                    } catch (SQLException e) {
                        // another writer inserted the same row meanwhile: the last write wins, as with an update
                        c.rollback();
                        if (update(c, mailbox, vaultId, keyVersion, ciphertext, now) == 0) {
                            throw e;
                        }
                    }
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

    private static int update(Connection c, String mailbox, String vaultId, int keyVersion, String ciphertext, Instant now)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE contact_vault SET key_version = ?, ciphertext = ?, updated_at = ?"
                + " WHERE mailbox = ? AND vault_id = ?")) {
            s.setInt(1, keyVersion);
            s.setString(2, ciphertext);
            s.setLong(3, now.toEpochMilli());
            s.setString(4, mailbox);
            s.setString(5, vaultId);
            return s.executeUpdate();
        }
    }

    /**
     * The row whose vault id, or whose id before the last re-seal, is {@code id}. Two indexed lookups rather than one
     * query with {@code OR}, which H2 answered with a scan of the table.
     */
    public Optional<Row> find(String mailbox, String id) throws SQLException {
        try (Connection c = database.connection()) {
            Optional<Row> row = one(c, SELECT + " WHERE mailbox = ? AND vault_id = ?", mailbox, id);
            return row.isPresent() ? row : one(c, SELECT + " WHERE previous_id = ? AND mailbox = ? ORDER BY updated_at DESC", id, mailbox);
        }
    }

    private static Optional<Row> one(Connection c, String sql, String first, String second) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, first);
            s.setString(2, second);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(row(r)) : Optional.empty();
            }
        }
    }

    /** Deletes the row (by its vault id or its id before the last re-seal); true if there was one. */
    public boolean delete(String mailbox, String id) throws SQLException {
        try (Connection c = database.connection()) {
            int n = 0;
            for (String sql : new String[] {"DELETE FROM contact_vault WHERE mailbox = ? AND vault_id = ?",
                    "DELETE FROM contact_vault WHERE previous_id = ? AND mailbox = ?"}) {
                try (PreparedStatement s = c.prepareStatement(sql)) {
                    s.setString(1, sql.contains("previous_id = ? AND") ? id : mailbox);
                    s.setString(2, sql.contains("previous_id = ? AND") ? mailbox : id);
                    n += s.executeUpdate();
                }
            }
            return n > 0;
        }
    }

    /** Every vault id of a mailbox, in order. */
    public List<String> vaultIds(String mailbox) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT vault_id FROM contact_vault WHERE mailbox = ? ORDER BY vault_id")) {
            s.setString(1, mailbox);
            List<String> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return out;
        }
    }

    /** How many rows are encrypted under a key version older than {@code current}. */
    public int countOlderThan(int current) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM contact_vault WHERE key_version < ?")) {
            s.setInt(1, current);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }

    /** Up to {@code limit} rows under a key version older than {@code current}, in a stable order. */
    public List<Row> olderThan(int current, int limit) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement(SELECT + " WHERE key_version < ? ORDER BY mailbox, vault_id")) {
            s.setInt(1, current);
            s.setMaxRows(limit);
            List<Row> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(row(r));
                }
            }
            return out;
        }
    }

    /**
     * Replaces a row with its re-sealed form in one transaction: new ciphertext and key version and, when the key
     * rotation changed its vault id, the new id (the old one kept as {@code previous_id}). If a row with the new id
     * already exists (the card was sealed again under the new key before the job reached it), that newer row wins
     * and the old one is deleted. False if the old row is gone (forgotten meanwhile).
     */
    public boolean reseal(Row old, String newId, int keyVersion, String ciphertext, Instant now) throws SQLException {
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                boolean done;
                if (!newId.equals(old.vaultId()) && exists(c, old.mailbox(), newId)) {
                    try (PreparedStatement s = c.prepareStatement("UPDATE contact_vault SET previous_id = ?"
                            + " WHERE mailbox = ? AND vault_id = ? AND previous_id IS NULL")) {
                        s.setString(1, old.vaultId());
                        s.setString(2, old.mailbox());
                        s.setString(3, newId);
                        s.executeUpdate();
                    }
                    done = deleteExact(c, old) > 0;
                } else {
                    try (PreparedStatement s = c.prepareStatement("UPDATE contact_vault SET vault_id = ?, previous_id = ?,"
                            + " key_version = ?, ciphertext = ?, updated_at = ? WHERE mailbox = ? AND vault_id = ? AND key_version = ?")) {
                        s.setString(1, newId);
                        s.setString(2, newId.equals(old.vaultId()) ? old.previousId() : old.vaultId());
                        s.setInt(3, keyVersion);
                        s.setString(4, ciphertext);
                        s.setLong(5, now.toEpochMilli());
                        s.setString(6, old.mailbox());
                        s.setString(7, old.vaultId());
                        s.setInt(8, old.keyVersion());
                        done = s.executeUpdate() > 0;
                    }
                }
                c.commit();
                return done;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private static boolean exists(Connection c, String mailbox, String vaultId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM contact_vault WHERE mailbox = ? AND vault_id = ?")) {
            s.setString(1, mailbox);
            s.setString(2, vaultId);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    private static int deleteExact(Connection c, Row old) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM contact_vault WHERE mailbox = ? AND vault_id = ? AND key_version = ?")) {
            s.setString(1, old.mailbox());
            s.setString(2, old.vaultId());
            s.setInt(3, old.keyVersion());
            return s.executeUpdate();
        }
    }

    private static final String SELECT = "SELECT mailbox, vault_id, previous_id, key_version, ciphertext, created_at,"
            + " updated_at FROM contact_vault";

    private static Row row(ResultSet r) throws SQLException {
        return new Row(r.getString(1), r.getString(2), r.getString(3), r.getInt(4), r.getString(5),
                Instant.ofEpochMilli(r.getLong(6)), Instant.ofEpochMilli(r.getLong(7)));
    }
}
