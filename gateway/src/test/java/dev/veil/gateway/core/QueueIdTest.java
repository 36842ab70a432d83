package dev.veil.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class QueueIdTest {
    private static final String CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    @Test
    void newIdsAreTwentyCrockfordBase32Characters() {
        for (int i = 0; i < 1000; i++) {
            assertThat(QueueId.next().value()).matches("[0-9A-HJKMNP-TV-Z]{20}");
        }
    }

    @Test
    void theFirstTenCharactersAreTheArrivalTimeInMilliseconds() {
        long before = System.currentTimeMillis();
        QueueId id = QueueId.next();
        long after = System.currentTimeMillis();

        long encoded = 0;
        for (char c : id.value().substring(0, 10).toCharArray()) {
            encoded = encoded * 32 + CROCKFORD.indexOf(c);
        }
        assertThat(encoded).isBetween(before, after);
    }

    @Test
    void idsOfLaterMessagesSortAfterEarlierOnes() throws InterruptedException {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(QueueId.next().value());
            Thread.sleep(2);
        }
        assertThat(ids).isSorted();
        assertThat(new HashSet<>(ids)).hasSize(20);
    }

    @Test
    void hundredThousandIdsAreAllDifferent() {
        Set<QueueId> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            seen.add(QueueId.next());
        }
        assertThat(seen).hasSize(100_000);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "ABCDEFGHJ", "01hzx5k3q2abcdefghjk", "01HZX5K3Q2-BCDEFGHJK", "../../etc/passwd",
            "01HZX5K3Q2ABCDEFGHJK.eml", "01HZX5K3Q2 ABCDEFGHJK", "0123456789012345678901234567890123456789X"})
    void refusesValuesThatAreNotQueueIds(String value) {
        assertThatThrownBy(() -> new QueueId(value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a queue id: " + value);
    }

    @Test
    void acceptsTheShortestAndLongestForms() {
        assertThat(new QueueId("0123456789").value()).isEqualTo("0123456789");
        assertThat(new QueueId("0".repeat(40)).value()).hasSize(40);
    }

    @Test
    void printsAsItsValueSoItCanNameAFile() {
        QueueId id = QueueId.next();
        assertThat(id.toString()).isEqualTo(id.value());
        assertThat(new QueueId(id.value())).isEqualTo(id);
    }
}
