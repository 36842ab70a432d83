package dev.veil.gateway.db;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code sent_message_id} table: the Message-IDs of mail the business sent out through Veil, as SHA-256 hashes,
 * so that a correspondent's reply naming one in In-Reply-To or References can show it as it is (Exchange made that
 * id; a token instead would break the conversation in Outlook). 40 bytes and an index entry per message sent; rows
 * older than {@code outbound.keepSentIds} are deleted ({@link dev.veil.gateway.core.SentIdPruner}).
 */
public final class SentMessageIdDao {
    /** SQLSTATE for a unique or primary key violation. */
    private static final String UNIQUE_VIOLATION = "23505";
    /** Ids per query in {@link #sentAmong}: a header of up to 1 MiB can name thousands. */
    static final int PER_QUERY = 200;
    private final Database database;

    public SentMessageIdDao(Database database) {
        this.database = database;
    }

    /** Records {@code id} (without angle brackets) as sent at {@code at}; once is enough. */
    public void record(String id, Instant at) throws SQLException {
        byte[] hash = hash(id);
        if (contains(hash)) {
            return;
        }
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("INSERT INTO sent_message_id (id_hash, first_seen) VALUES (?, ?)")) {
            s.setBytes(1, hash);
            s.setLong(2, at.toEpochMilli());
            s.executeUpdate();
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            // another worker recorded the same id between our read and our insert
        }
    }

    /** Whether {@code id} (without angle brackets) was sent through Veil. */
    public boolean contains(String id) throws SQLException {
        return contains(hash(id));
    }

    /**
     * Those of {@code ids} (without angle brackets) that were sent through Veil: one query per {@value #PER_QUERY}
     * ids, so a reply's References costs one database read, not one per id.
     */
    public Set<String> sentAmong(Collection<String> ids) throws SQLException {
        Map<ByteBuffer, List<String>> byHash = new HashMap<>();
        for (String id : ids) {
            byHash.computeIfAbsent(ByteBuffer.wrap(hash(id)), h -> new ArrayList<>()).add(id);
        }
        List<ByteBuffer> hashes = new ArrayList<>(byHash.keySet());
        Set<String> sent = new HashSet<>();
        try (Connection c = database.connection()) {
            for (int from = 0; from < hashes.size(); from += PER_QUERY) {
                List<ByteBuffer> chunk = hashes.subList(from, Math.min(hashes.size(), from + PER_QUERY));
                String marks = String.join(", ", Collections.nCopies(chunk.size(), "?"));
                try (PreparedStatement s = c.prepareStatement(
                        "SELECT id_hash FROM sent_message_id WHERE id_hash IN (" + marks + ")")) {
                    for (int i = 0; i < chunk.size(); i++) {
                        s.setBytes(i + 1, chunk.get(i).array());
                    }
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            sent.addAll(byHash.getOrDefault(ByteBuffer.wrap(r.getBytes(1)), List.of()));
                        }
                    }
                }
            }
        }
        return sent;
    }

    private boolean contains(byte[] hash) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT 1 FROM sent_message_id WHERE id_hash = ?")) {
            s.setBytes(1, hash);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /**
     * Forgets the ids first recorded before {@code cutoff}: a reply naming one later shows a token in its place.
     *
     * @return how many were forgotten
     */
    public int deleteRecordedBefore(Instant cutoff) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("DELETE FROM sent_message_id WHERE first_seen < ?")) {
            s.setLong(1, cutoff.toEpochMilli());
            return s.executeUpdate();
        }
    }

    /** Message-IDs compare exactly (RFC 5322 3.6.4: the id is opaque), so the hash is over the id as written. */
    static byte[] hash(String id) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        }
    }
}
