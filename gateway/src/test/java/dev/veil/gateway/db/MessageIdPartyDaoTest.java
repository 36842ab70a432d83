package dev.veil.gateway.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.TestClock;
import dev.veil.gateway.core.SentIdPruner;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who took part in which message: recorded per pair, asked for any of a message's recipients, pruned with sent ids. */
class MessageIdPartyDaoTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;
    Database db;
    MessageIdPartyDao parties;

    @BeforeEach
    void open() throws Exception {
        db = Database.openEmbedded(dir);
        parties = new MessageIdPartyDao(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void everyPartyKnowsEveryIdOfTheMessageAndNobodyElseDoes() throws Exception {
        parties.record(List.of("a@x.example", "b@x.example"), Set.of("c-bob", "c-carol"), START);
        parties.record(List.of("a@x.example"), Set.of("c-bob"), START.plusSeconds(1)); // again: harmless

        assertThat(parties.knownToAny("a@x.example", Set.of("c-bob"))).isTrue();
        assertThat(parties.knownToAny("b@x.example", Set.of("c-mallory", "c-carol"))).isTrue();
        assertThat(parties.knownToAny("b@x.example", Set.of("c-mallory"))).isFalse();
        assertThat(parties.knownToAny("A@x.example", Set.of("c-bob"))).as("ids compare exactly").isFalse();
        assertThat(parties.knownToAny("a@x.example", Set.of())).isFalse();
    }

    @Test
    void ofAVeryLongReferencesFieldTheNewestIdsAreKept() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            ids.add("id" + i + "@x.example");
        }
        parties.record(ids, Set.of("c-bob"), START);

        assertThat(parties.knownToAny("id0@x.example", Set.of("c-bob"))).isTrue();
        assertThat(parties.knownToAny("id1@x.example", Set.of("c-bob"))).isTrue();
        assertThat(parties.knownToAny("id299@x.example", Set.of("c-bob"))).isTrue();
        assertThat(parties.knownToAny("id238@x.example", Set.of("c-bob"))).isTrue();
        assertThat(parties.knownToAny("id237@x.example", Set.of("c-bob"))).isFalse();
    }

    @Test
    void pairsNotSeenForKeepSentIdsAreForgotten() throws Exception {
        parties.record(List.of("old@x.example"), Set.of("c-bob"), START);
        parties.record(List.of("new@x.example"), Set.of("c-bob"), START.plus(java.time.Duration.ofDays(20)));
        TestClock clock = new TestClock(START.plus(java.time.Duration.ofDays(31)));

        new SentIdPruner(new SentMessageIdDao(db), parties, io.dropwizard.util.Duration.days(30), clock).prune();

        assertThat(parties.knownToAny("old@x.example", Set.of("c-bob"))).isFalse();
        assertThat(parties.knownToAny("new@x.example", Set.of("c-bob"))).isTrue();
    }

    @Test
    void pairsOfADatabaseFromBeforeTheOneNumberKeyAreCarriedOverWithTheirDates() throws Exception {
        Path older = dir.resolve("older");
        String url = "jdbc:h2:file:" + older.resolve("db").resolve("veil");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, "veil", "");
             java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE TABLE message_id_party (id_hash VARBINARY(32) NOT NULL, party VARCHAR(64) NOT NULL,"
                    + " last_seen BIGINT NOT NULL, PRIMARY KEY (id_hash, party))");
            try (java.sql.PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO message_id_party VALUES (?, ?, ?)")) {
                insert.setBytes(1, SentMessageIdDao.hash("old@x.example"));
                insert.setString(2, "c-bob");
                insert.setLong(3, START.toEpochMilli());
                insert.execute();
                insert.setBytes(1, SentMessageIdDao.hash("new@x.example"));
                insert.setString(2, "c-carol");
                insert.setLong(3, START.plus(java.time.Duration.ofDays(20)).toEpochMilli());
                insert.execute();
            }
        }
        try (Database reopened = Database.openEmbedded(older)) {
            MessageIdPartyDao carried = new MessageIdPartyDao(reopened);
            assertThat(carried.knownToAny("old@x.example", Set.of("c-bob"))).isTrue();
            assertThat(carried.knownToAny("old@x.example", Set.of("c-carol"))).isFalse();
            assertThat(carried.knownToAny("new@x.example", Set.of("c-mallory", "c-carol"))).isTrue();
            try (java.sql.Connection c = reopened.connection();
                 java.sql.ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM information_schema.tables"
                         + " WHERE UPPER(table_name) = 'MESSAGE_ID_PARTY'")) {
                r.next();
                assertThat(r.getLong(1)).as("the older table is gone").isZero();
            }
            new SentIdPruner(new SentMessageIdDao(reopened), carried, io.dropwizard.util.Duration.days(30),
                    new TestClock(START.plus(java.time.Duration.ofDays(31)))).prune();
            assertThat(carried.knownToAny("old@x.example", Set.of("c-bob"))).as("its date came along").isFalse();
            assertThat(carried.knownToAny("new@x.example", Set.of("c-carol"))).isTrue();
        }
        try (Database again = Database.openEmbedded(older)) { // a second start finds nothing to carry over
            assertThat(new MessageIdPartyDao(again).knownToAny("new@x.example", Set.of("c-carol"))).isTrue();
        }
    }
}
