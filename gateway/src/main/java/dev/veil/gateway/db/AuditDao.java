package dev.veil.gateway.db;

import dev.veil.gateway.core.AuditRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** What was done to which message, with which rule and keys. Never content, never subjects. */
public final class AuditDao {
    private final Database database;

    public AuditDao(Database database) {
        this.database = database;
    }

    public void record(AuditRecord a) throws SQLException {
        try (Connection c = database.connection()) {
            insert(c, a);
        }
    }

    /** Inserts on the caller's connection, so a state change and its audit rows commit together. */
    static void insert(Connection c, AuditRecord a) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO audit (queue_id, at, event, recipients, policy_rule,"
                     + " policy_version, key_fingerprints, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setString(1, a.queueId());
            s.setLong(2, a.at().toEpochMilli());
            s.setString(3, a.event());
            s.setString(4, String.join(",", a.recipients()));
            s.setString(5, a.policyRule());
            s.setString(6, a.policyVersion());
            s.setString(7, String.join(",", a.keyFingerprints()));
            s.setString(8, a.outcome());
            s.setString(9, a.detail() == null || a.detail().length() <= 2000 ? a.detail() : a.detail().substring(0, 2000));
            s.executeUpdate();
        }
    }

    public List<AuditRecord> forQueueId(String queueId) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT queue_id, at, event, recipients, policy_rule, policy_version,"
                     + " key_fingerprints, outcome, detail FROM audit WHERE queue_id = ? ORDER BY seq")) {
            s.setString(1, queueId);
            List<AuditRecord> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new AuditRecord(r.getString(1), Instant.ofEpochMilli(r.getLong(2)), r.getString(3),
                            split(r.getString(4)), r.getString(5), r.getString(6), split(r.getString(7)),
                            r.getString(8), r.getString(9)));
                }
            }
            return out;
        }
    }

    private static List<String> split(String s) {
        return s == null || s.isEmpty() ? List.of() : List.of(s.split(","));
    }
}
