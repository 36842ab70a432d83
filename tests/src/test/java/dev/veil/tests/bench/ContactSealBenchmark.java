package dev.veil.tests.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.crypto.MasterKey;
import dev.veil.gateway.contacts.ContactSync;
import dev.veil.config.ContactsPolicy;
import dev.veil.crypto.PseudonymKeys;
import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.contacts.ContactProtectors;
import dev.veil.gateway.contacts.SyncSummary;
import dev.veil.gateway.db.ContactJournalDao;
import dev.veil.gateway.db.Database;
import dev.veil.gateway.graph.ContactMapping;
import dev.veil.gateway.graph.GraphClient;
import dev.veil.gateway.graph.GraphSettings;
import dev.veil.tests.ContactsSealKillTest;
import dev.veil.tests.support.GraphStandIn;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seals 10,000 plaintext contacts held by the Graph stand-in (list, vault, journal, PATCH each, one at a time, as
 * {@code veil contacts seal} does) and prints contacts/s. A harness, not a test: it runs only with
 * {@code -Dveil.bench=true} and asserts nothing about speed.
 * <pre>mvn -o -q -pl tests -am test -Dtest=ContactSealBenchmark -Dveil.bench=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@EnabledIfSystemProperty(named = "veil.bench", matches = "true")
class ContactSealBenchmark {
    private static final String ALICE = "alice@example.com";
    private static final int CONTACTS = Integer.getInteger("veil.bench.contacts", 10_000);

    @TempDir
    Path dir;

    @Test
    void seal10000ContactsThroughTheStandIn() throws Exception {
        try (GraphStandIn graph = new GraphStandIn();
             Database db = Database.open("jdbc:h2:file:" + dir.resolve("veil") + ";WRITE_DELAY=0")) {
            for (int i = 0; i < CONTACTS; i++) {
                graph.seed(ALICE, ContactsSealKillTest.outlookContact(i));
            }
            GraphSettings settings = new GraphSettings();
            settings.setBaseUrl(graph.baseUrl());
            settings.setTokenUrl(graph.tokenUrl());
            settings.setClientId(graph.clientId());
            settings.setClientSecret(graph.clientSecret());
            settings.setPageSize(1000);
            Pseudonymiser pseudonymiser = Pseudonymiser.of(PseudonymKeys.open(dir.resolve("keys"), MasterKey.generate()));
            ContactSync sync = new ContactSync(GraphClient.open(settings, new ObjectMapper()),
                    ContactProtectors.open(() -> new ContactsPolicy(Map.of(), "alias.example.net"),
                            () -> pseudonymiser, db, Clock.systemUTC()), new ContactMapping(ContactMapping.Dialect.V1),
                    new ContactJournalDao(db, Clock.systemUTC()));
            long start = System.nanoTime();
            SyncSummary summary = sync.seal(ALICE, ContactSync.Progress.NONE);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(summary.sealed()).isEqualTo(CONTACTS);
            System.out.printf(Locale.ROOT, "ContactSealBenchmark: sealed %d contacts through the Graph stand-in in %.1f s:"
                    + " %.0f contacts/s (%d cores)%n", CONTACTS, seconds, CONTACTS / seconds,
                    Runtime.getRuntime().availableProcessors());
        }
    }
}
