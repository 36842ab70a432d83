package dev.veil.gateway.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.gateway.TestClock;
import dev.veil.gateway.core.SentIdPruner;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store of sent Message-IDs: the ones a reply names are found in one query per batch, exactly as written, and
 * they are forgotten after {@code outbound.keepSentIds} ({@link SentIdPruner}), counted from when first sent.
 */
class SentMessageIdDaoTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

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
                sent.record(id, START);
                recorded.add(id);
            }
        }
        named.add(recorded.get(3)); // named twice, found once
        named.add("M0@example.com"); // ids compare exactly: not the same as m0@example.com

        assertThat(sent.sentAmong(named)).containsExactlyInAnyOrderElementsOf(recorded);
        assertThat(sent.sentAmong(List.of("never@example.com"))).isEmpty();
        assertThat(sent.sentAmong(List.of())).isEmpty();
    }

    @Test
    void idsOlderThanTheRetentionAreForgottenAndTheOthersKept() throws Exception {
        TestClock clock = new TestClock(START);
        sent.record("old@example.com", START);
        sent.record("edge@example.com", START.plus(Duration.ofDays(10)));
        sent.record("new@example.com", START.plus(Duration.ofDays(20)));
        // sent again later: still counts from the first time
        sent.record("old@example.com", START.plus(Duration.ofDays(20)));
        SentIdPruner pruner = new SentIdPruner(sent, io.dropwizard.util.Duration.days(30), clock);

        clock.set(START.plus(Duration.ofDays(29)));
        assertThat(pruner.prune()).isZero();
        clock.set(START.plus(Duration.ofDays(40)));
        assertThat(pruner.prune()).isEqualTo(1);
        assertThat(sent.contains("old@example.com")).isFalse();
        assertThat(sent.contains("edge@example.com")).isTrue(); // exactly 30 days: kept
        assertThat(sent.contains("new@example.com")).isTrue();
        clock.set(START.plus(Duration.ofDays(51)));
        assertThat(pruner.prune()).isEqualTo(2);
        assertThat(sent.contains("edge@example.com")).isFalse();
        assertThat(sent.contains("new@example.com")).isFalse();
    }

    @Test
    void aRetentionOfNothingIsRefused() {
        assertThatThrownBy(() -> new SentIdPruner(sent, io.dropwizard.util.Duration.days(0), new TestClock(START)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outbound.keepSentIds");
    }

    @Test
    void theServiceSideRunsAtStartAndStops() throws Exception {
        sent.record("old@example.com", START);
        SentIdPruner pruner = new SentIdPruner(sent, io.dropwizard.util.Duration.days(30),
                new TestClock(START.plus(Duration.ofDays(31))));
        pruner.start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (sent.contains("old@example.com") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(sent.contains("old@example.com")).isFalse();
        } finally {
            pruner.stop();
        }
    }
}
