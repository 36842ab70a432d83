package dev.veil.gateway.db;

import dev.veil.gateway.correspondents.AliasEntry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * The {@code correspondent_alias} table. Rows are only ever inserted: an alias, once given to a correspondent, is
 * theirs for good. The primary key (alias local part, alias domain) makes concurrent first sightings safe across
 * workers and nodes: one insert wins, the others read the winner's row.
 */
public final class AliasDao {
    /** SQLSTATE for a unique or primary key violation, in H2 and PostgreSQL alike. */
    private static final String UNIQUE_VIOLATION = "23505";
    private final Database database;
    private final AliasJournal journal;

    public AliasDao(Database database) {
        this(database, null);
    }

    /** @param journal where each new alias is also written before it is used ({@link AliasJournal}); null: nowhere */
    public AliasDao(Database database, AliasJournal journal) {
        this.database = database;
        this.journal = journal;
    }

    /**
     * Puts back every journaled alias the table lacks (rows a crash lost), then makes them durable; how many.
     *
     * @throws SQLException when the table cannot be written: the caller must not take mail in
     */
    public int restoreFromJournal() throws SQLException, java.io.IOException {
        if (journal == null) {
            return 0;
        }
        int restored = 0;
        for (AliasEntry entry : journal.entries()) {
            if (find(entry.aliasLocal(), entry.aliasDomain()).isEmpty() && insert(entry)) {
                restored++;
            }
        }
        if (restored > 0) {
            database.checkpoint();
        }
        return restored;
    }

    /** Inserts the row; false when its alias is taken already (a duplicate key). */
    private boolean insert(AliasEntry entry) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("INSERT INTO correspondent_alias (alias_local, alias_domain,"
                     + " real_token, key_version, first_seen) VALUES (?, ?, ?, ?, ?)")) {
            s.setString(1, entry.aliasLocal());
            s.setString(2, entry.aliasDomain());
            s.setString(3, entry.realToken());
            s.setInt(4, entry.keyVersion());
            s.setLong(5, entry.firstSeen().toEpochMilli());
            s.executeUpdate();
            return true;
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            return false;
        }
    }

    /**
     * Inserts the entry unless its alias is taken; returns the row that is in the table afterwards (the given one, or
     * the one that was there first — the caller compares). A new row is on disk when this returns
     * ({@link Database#checkpoint}): Exchange gets the alias next, and a reply to it must find it after a kill (a
     * black-box test lost one: replies to the alias got {@code 550 5.1.1} until the correspondent wrote again).
     */
    public AliasEntry insertIfAbsent(AliasEntry entry) throws SQLException {
        Optional<AliasEntry> existing = find(entry.aliasLocal(), entry.aliasDomain());
        if (existing.isPresent()) {
            return existing.get();
        }
        if (!insert(entry)) {
            // another worker or node registered this alias between our read and our insert (and makes it durable)
            return find(entry.aliasLocal(), entry.aliasDomain())
                    .orElseThrow(() -> new SQLException("alias row vanished after a duplicate key on insert"));
        }
        if (journal != null) {
            try {
                journal.append(entry);
            } catch (java.io.IOException e) {
                // fail closed: an alias that might not outlive a crash must not reach Exchange
                throw new SQLException("cannot journal the new alias: " + e.getMessage(), e);
            }
        }
        database.checkpoint();
        return entry;
    }

    public Optional<AliasEntry> find(String aliasLocal, String aliasDomain) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT real_token, key_version, first_seen FROM correspondent_alias"
                     + " WHERE alias_local = ? AND alias_domain = ?")) {
            s.setString(1, aliasLocal);
            s.setString(2, aliasDomain);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                return Optional.of(new AliasEntry(aliasLocal, aliasDomain, r.getString(1), r.getInt(2),
                        Instant.ofEpochMilli(r.getLong(3))));
            }
        }
    }

    /** Every alias domain the directory has a row in: those of earlier policies too. */
    public java.util.Set<String> aliasDomains() throws SQLException {
        java.util.Set<String> domains = new java.util.HashSet<>();
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT DISTINCT alias_domain FROM correspondent_alias");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                domains.add(r.getString(1));
            }
        }
        return domains;
    }

    public long count() throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM correspondent_alias");
             ResultSet r = s.executeQuery()) {
            r.next();
            return r.getLong(1);
        }
    }
}
