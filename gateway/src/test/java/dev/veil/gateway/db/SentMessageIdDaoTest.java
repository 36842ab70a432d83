package dev.veil.gateway.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sent Message-IDs a reply names are found in one query per batch, exactly as written. */
class SentMessageIdDaoTest {
    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;
    Database db;
    SentMessageIdDao sent;

    @BeforeEach
    void open() throws Exception {
        db = Database.openEmbedded(dir);
        sent = new SentMessageIdDao(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void findsTheSentIdsAmongMoreThanOneQueryHolds() throws Exception {
        List<String> named = new ArrayList<>();
        List<String> recorded = new ArrayList<>();
        for (int i = 0; i < SentMessageIdDao.PER_QUERY * 2 + 50; i++) {
            String id = "m" + i + "@example.com";
            named.add(id);
            if (i % 7 == 0) {
                sent.record(id, AT);
                recorded.add(id);
            }
        }
        named.add(recorded.get(3)); // named twice, found once
        named.add("M0@example.com"); // ids compare exactly: not the same as m0@example.com

        assertThat(sent.sentAmong(named)).containsExactlyInAnyOrderElementsOf(recorded);
        assertThat(sent.sentAmong(List.of("never@example.com"))).isEmpty();
        assertThat(sent.sentAmong(List.of())).isEmpty();
    }
}
