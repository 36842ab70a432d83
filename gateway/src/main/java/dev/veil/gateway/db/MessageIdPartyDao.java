package dev.veil.gateway.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code message_id_party} table: which correspondents took part in the message a Message-ID names — sent it,
 * received it with the business, or named it in a message of theirs. Ids are SHA-256 hashes (as in
 * {@link SentMessageIdDao}); correspondents are their alias local parts (a keyed hash of the address, the same as in
 * the alias directory), never an address. Outbound restoration gives a correspondent back only the real ids it knew:
 * otherwise anyone who may submit outbound could send any token to any correspondent, itself included, and read the
 * real ids behind it. Rows go with the sent ids after {@code outbound.keepSentIds}.
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
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement s = c.prepareStatement("MERGE INTO message_id_party (id_hash, party, last_seen)"
                    + " KEY (id_hash, party) VALUES (?, ?, ?)")) {
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
                            s.setBytes(1, hash);
                            s.setString(2, party);
                            s.setLong(3, message.at().toEpochMilli());
                            s.addBatch();
                            any = true;
                        }
                    }
                }
                if (any) {
                    s.executeBatch();
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
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
                     "SELECT 1 FROM message_id_party WHERE id_hash = ? AND party IN (" + marks + ") LIMIT 1")) {
            s.setBytes(1, SentMessageIdDao.hash(id));
            int i = 2;
            for (String party : parties) {
                s.setString(i++, party);
            }
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /** Forgets the pairs last recorded before {@code cutoff}; returns how many. */
    public int deleteRecordedBefore(Instant cutoff) throws SQLException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("DELETE FROM message_id_party WHERE last_seen < ?")) {
            s.setLong(1, cutoff.toEpochMilli());
            return s.executeUpdate();
        }
    }
}
