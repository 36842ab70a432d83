package dev.veil.gateway.db;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code message_party} table: which correspondents took part in the message a Message-ID names — sent it,
 * received it with the business, or named it in a message of theirs. A row is one such pair, keyed by 64 bits of
 * SHA-256 over the id's SHA-256 hash (as in {@link SentMessageIdDao}) and the correspondent's alias local part (a keyed
 * hash of the address, the same as in the alias directory): neither an id nor an address is stored. Outbound
 * restoration gives a correspondent back only the real ids it knew: otherwise anyone who may submit outbound could
 * send any token to any correspondent, itself included, and read the real ids behind it. Rows go with the sent ids
 * after {@code outbound.keepSentIds}.
 *
 * <p>One number as the key, not the pair's two columns: H2 keeps rows in the order of a single BIGINT key, so a
 * recorded pair is one look-up and one entry, where a key of a hash and a name was a second tree and comparisons of
 * both (72-100 against 30-43 µs of CPU per message of one id and one correspondent, 90,000 messages in batches of 30,
 * H2 2.5.252). Two pairs share a key with a chance of about one in 2<sup>64</sup> per pair recorded; if one did, a
 * correspondent could get back the real id of a message it did not take part in, never lose one it did.
 */
public final class MessageIdPartyDao {
    /** At most this many ids of one message are recorded (its own, In-Reply-To, then References from the newest). */
    public static final int MAX_IDS = 64;
    /** At most this many correspondents of one message are recorded. */
    public static final int MAX_PARTIES = 32;
    private final Database database;

    public MessageIdPartyDao(Database database) {
        this.database = database;
    }

    /** One message's tokenised ids and correspondents, recorded at {@code at}. */
    public record Parties(List<String> ids, Collection<String> parties, Instant at) {
    }

    /**
     * Records every correspondent in {@code parties} as knowing every id in {@code ids} (without angle brackets, in
     * header order; of more than {@value #MAX_IDS}, the first two and then the last, the newest References). A pair
     * recorded before gets the new date (what is still in use is kept).
     */
    public void record(List<String> ids, Collection<String> parties, Instant at) throws SQLException {
        recordAll(List.of(new Parties(ids, parties, at)));
    }

    /** {@link #record} for several messages in one transaction (a commit writes to disk: one for many). */
    public void recordAll(List<Parties> messages) throws SQLException {
        try (Connection c = database.connection()) {
            inTransaction(c, () -> {
                try (PreparedStatement s = c.prepareStatement("MERGE INTO message_party (pair, last_seen) KEY (pair)"
                        + " VALUES (?, ?)")) {
                    boolean any = false;
                    for (Parties message : messages) {
                        if (message.ids().isEmpty() || message.parties().isEmpty()) {
                            continue;
                        }
                        List<String> ids = message.ids();
                        Set<String> chosen = new LinkedHashSet<>(ids.size() <= MAX_IDS ? ids : newestFirst(ids));
                        List<String> who = message.parties().stream().distinct().limit(MAX_PARTIES).toList();
                        int n = 0;
                        for (String id : chosen) {
                            if (n++ == MAX_IDS) {
                                break;
                            }
                            byte[] hash = SentMessageIdDao.hash(id);
                            for (String party : who) {
                                s.setLong(1, pair(hash, party));
                                s.setLong(2, message.at().toEpochMilli());
                                s.addBatch();
                                any = true;
                            }
                        }
                    }
                    if (any) {
                        s.executeBatch();
                    }
                }
            });
        }
    }

    /** Work done on one connection in one transaction. */
    @FunctionalInterface
    private interface SqlWork {
        void run() throws SQLException;
    }

    /** Runs {@code work} as one transaction of {@code c}: committed, or rolled back when it throws. */
    private static void inTransaction(Connection c, SqlWork work) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            work.run();
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /** The first two (usually the message's own id and In-Reply-To), then the rest from the last (the newest). */
    private static List<String> newestFirst(List<String> ids) {
        List<String> out = new java.util.ArrayList<>(ids.subList(0, 2));
        List<String> rest = new java.util.ArrayList<>(ids.subList(2, ids.size()));
        Collections.reverse(rest);
        out.addAll(rest);
        return out;
    }

    /** Whether one of {@code parties} (alias local parts) took part in the message {@code id} names. */
    public boolean knownToAny(String id, Collection<String> parties) throws SQLException {
        if (parties.isEmpty()) {
            return false;
        }
        String marks = String.join(", ", Collections.nCopies(parties.size(), "?"));
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement(
                     "SELECT 1 FROM message_party WHERE pair IN (" + marks + ") LIMIT 1")) {
            byte[] hash = SentMessageIdDao.hash(id);
            int i = 1;
            for (String party : parties) {
                s.setLong(i++, pair(hash, party));
            }
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /** The key of one pair: the first 64 bits of SHA-256 over the id's hash (32 bytes) and the party's UTF-8 bytes. */
    static long pair(byte[] idHash, String party) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(idHash);
            return ByteBuffer.wrap(sha256.digest(party.getBytes(StandardCharsets.UTF_8))).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        }
    }

    /**
     * Creates the table; a database from before it had {@code message_id_party} (the pair as two columns), whose rows
     * are carried over with their dates and which then goes.
     */
    static void migrate(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS message_party (pair BIGINT PRIMARY KEY, last_seen BIGINT NOT NULL)");
            boolean older;
            try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM information_schema.tables"
                    + " WHERE UPPER(table_name) = 'MESSAGE_ID_PARTY'")) {
                older = r.next() && r.getLong(1) > 0;
            }
            if (!older) {
                return;
            }
            inTransaction(c, () -> {
                try (ResultSet rows = s.executeQuery("SELECT id_hash, party, last_seen FROM message_id_party");
                     PreparedStatement merge = c.prepareStatement("MERGE INTO message_party (pair, last_seen) KEY"
                             + " (pair) VALUES (?, ?)")) {
                    while (rows.next()) {
                        merge.setLong(1, pair(rows.getBytes(1), rows.getString(2)));
                        merge.setLong(2, rows.getLong(3));
                        merge.addBatch();
                    }
                    merge.executeBatch();
                }
                try (Statement drop = c.createStatement()) {
                    drop.execute("DROP TABLE message_id_party");
                }
            });
        }
    }

    /** Forgets the pairs last recorded before {@code cutoff}; returns how many. */
    public int deleteRecordedBefore(Instant cutoff) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("DELETE FROM message_party WHERE last_seen < ?")) {
            s.setLong(1, cutoff.toEpochMilli());
            return s.executeUpdate();
        }
    }
}
