package dev.veil.gateway.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The contacts journal: per mailbox and Exchange contact, the vault id of its real data and how far sealing got.
 * {@code VAULTED}: the real data is in the vault, Exchange may still hold the plaintext (the next run replaces it);
 * {@code SEALED}: Exchange holds the sealed contact, and {@code change_key} is the changeKey Graph gave Veil's own
 * write, so a later change by someone else (Outlook) is recognised. Each step is one committed statement, written
 * before (VAULTED) and after (SEALED) the Graph request, so a kill at any point leaves a record of where it stopped.
 */
public final class ContactJournalDao {
    public enum State { VAULTED, SEALED }

    public record Entry(String mailbox, String graphId, String vaultId, State state, String changeKey) {
    }

    private final Database database;
    private final Clock clock;

    public ContactJournalDao(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    public void record(String mailbox, String graphId, String vaultId, State state, String changeKey) throws SQLException {
        String m = mailbox.toLowerCase(Locale.ROOT);
        try (Connection c = database.connection()) {
            try (PreparedStatement u = c.prepareStatement("UPDATE contact_journal SET vault_id = ?, state = ?,"
                    + " change_key = ?, updated_at = ? WHERE mailbox = ? AND graph_id = ?")) {
                u.setString(1, vaultId);
                u.setString(2, state.name());
                u.setString(3, changeKey);
                u.setLong(4, clock.millis());
                u.setString(5, m);
                u.setString(6, graphId);
                if (u.executeUpdate() > 0) {
                    return;
                }
            }
            try (PreparedStatement i = c.prepareStatement("INSERT INTO contact_journal (mailbox, graph_id, vault_id,"
                    + " state, change_key, updated_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                i.setString(1, m);
                i.setString(2, graphId);
                i.setString(3, vaultId);
                i.setString(4, state.name());
                i.setString(5, changeKey);
                i.setLong(6, clock.millis());
                i.executeUpdate();
            }
        }
    }

    /**
     * Makes everything committed so far reach the disk before Veil acts on it in Exchange ({@link Database#checkpoint}):
     * a kill right after a commit lost vault rows whose sealed contacts Exchange already held
     * ({@code ContactsSealKillTest}).
     */
    public void flush() throws SQLException {
        database.checkpoint();
    }

    public Optional<Entry> find(String mailbox, String graphId) throws SQLException {
        List<Entry> found = select("WHERE mailbox = ? AND graph_id = ?", mailbox.toLowerCase(Locale.ROOT), graphId);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    public List<Entry> entries(String mailbox) throws SQLException {
        return select("WHERE mailbox = ? ORDER BY graph_id", mailbox.toLowerCase(Locale.ROOT));
    }

    /** How many Exchange contacts of the mailbox refer to this vault id (identical contacts share one). */
    public int references(String mailbox, String vaultId) throws SQLException {
        return select("WHERE mailbox = ? AND vault_id = ?", mailbox.toLowerCase(Locale.ROOT), vaultId).size();
    }

    public void remove(String mailbox, String graphId) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("DELETE FROM contact_journal WHERE mailbox = ? AND graph_id = ?")) {
            s.setString(1, mailbox.toLowerCase(Locale.ROOT));
            s.setString(2, graphId);
            s.executeUpdate();
        }
    }

    /** Every mailbox the journal knows. */
    public List<String> mailboxes() throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT DISTINCT mailbox FROM contact_journal ORDER BY mailbox");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }

    public Optional<String> deltaLink(String mailbox) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT delta_link FROM contact_delta WHERE mailbox = ?")) {
            s.setString(1, mailbox.toLowerCase(Locale.ROOT));
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
            }
        }
    }

    public void saveDeltaLink(String mailbox, String link) throws SQLException {
        String m = mailbox.toLowerCase(Locale.ROOT);
        try (Connection c = database.connection()) {
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE contact_delta SET delta_link = ?, updated_at = ? WHERE mailbox = ?")) {
                u.setString(1, link);
                u.setLong(2, clock.millis());
                u.setString(3, m);
                if (u.executeUpdate() > 0) {
                    return;
                }
            }
            try (PreparedStatement i = c.prepareStatement(
                    "INSERT INTO contact_delta (mailbox, delta_link, updated_at) VALUES (?, ?, ?)")) {
                i.setString(1, m);
                i.setString(2, link);
                i.setLong(3, clock.millis());
                i.executeUpdate();
            }
        }
    }

    private List<Entry> select(String where, String... args) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement(
                     "SELECT mailbox, graph_id, vault_id, state, change_key FROM contact_journal " + where)) {
            for (int i = 0; i < args.length; i++) {
                s.setString(i + 1, args[i]);
            }
            List<Entry> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Entry(r.getString(1), r.getString(2), r.getString(3), State.valueOf(r.getString(4)),
                            r.getString(5)));
                }
            }
            return out;
        }
    }
}
