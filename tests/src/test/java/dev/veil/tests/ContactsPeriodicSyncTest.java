package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.GraphStandIn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The running {@code veil server}'s periodic contacts sync ({@code graph.syncInterval}) against the Graph stand-in, with
 * no {@code veil contacts} command run meanwhile: contacts made in Outlook are sealed by the server's own rounds, one
 * made later by a later round; a round Graph fails (503 for a while) is logged as a warning and the schedule goes on;
 * and a mailbox known only from the contacts journal is synced even when a configured mailbox fails every round.
 */
class ContactsPeriodicSyncTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "alice@example.com";
    private static final String GHOST = "ghost@example.com";
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The line a round writes for a mailbox in which it sealed one contact (and failed none). */
    private static final Pattern ALICE_SEALED_ONE = Pattern.compile(
            "sync alice@example\\.com: 1 sealed, 0 edits merged, 0 removed, \\d+ unchanged, 0 failed");

    @TempDir
    Path dir;
    @RegisterExtension
    final GraphStandIn graph = new GraphStandIn(); // closed after each test
    private GatewayProcess veil;

    @AfterEach
    void stopServer() {
        if (veil != null) {
            veil.kill();
        }
    }

    private GatewayProcess veil(String... mailboxes) {
        GatewayProcess v = GatewayProcess.withKeys(dir.resolve("data")); // the shared test keys: no key generation
        graph.settings().forEach(v::set);
        v.set("graph.syncInterval", "2 seconds");
        if (mailboxes.length > 0) {
            v.set("graph.mailboxes", "[" + String.join(", ", mailboxes) + "]");
        }
        // a Graph outage fails a round quickly: two attempts, 100 ms apart (a real one would wait longer)
        v.set("graph.maxAttempts", "2").set("graph.initialBackoff", "100 milliseconds")
                .set("graph.maxBackoff", "200 milliseconds");
        return v;
    }

    private static ObjectNode outlookContact(String name, String address) {
        ObjectNode c = JSON.createObjectNode();
        c.put("displayName", name);
        c.putArray("emailAddresses").addObject().put("name", name).put("address", address);
        return c;
    }

    /**
     * Makes a contact in Outlook and returns what the stand-in holds right after, looked at while holding the
     * stand-in's lock (each of its answers takes it): no round can seal the contact between the seed and the look.
     */
    private String seedAndLook(String mailbox, ObjectNode contact) {
        synchronized (graph) {
            graph.seed(mailbox, contact);
            return ContactScan.values(graph);
        }
    }

    private String log() {
        try {
            return Files.readString(veil.log());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Start offsets in the log of every match of {@code p}. */
    private List<Integer> matches(Pattern p) {
        List<Integer> at = new ArrayList<>();
        Matcher m = p.matcher(log());
        while (m.find()) {
            at.add(m.start());
        }
        return at;
    }

    private void await(String what, BooleanSupplier done) {
        Instant deadline = Instant.now().plus(WAIT);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no " + what + " in " + WAIT + "; the stand-in holds:\n"
                        + ContactScan.values(graph) + "\nveil.log:\n" + veil.logTail());
            }
            GatewayProcess.sleep(200);
        }
    }

    private static boolean containsAny(String text, String... values) {
        for (String v : values) {
            if (text.contains(v)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void theServerSealsOutlookContactsOfAConfiguredMailboxRoundAfterRoundAndOutlivesAGraphOutage() throws Exception {
        AtomicBoolean graphDown = new AtomicBoolean();
        graph.beforeEach(r -> {
            if (graphDown.get()) {
                graph.failNext(503, "ServiceNotAvailable", "The service is temporarily unavailable.");
            }
        });
        veil = veil(ALICE).start();

        // a contact made in Outlook while the server runs
        String desmond = "Desmond Outlookmade";
        String desmondAddress = "desmond@outlook-made.example";
        assertThat(seedAndLook(ALICE, outlookContact(desmond, desmondAddress))).contains(desmond, desmondAddress);
        await("round sealing " + desmond, () -> !containsAny(ContactScan.values(graph), desmond, desmondAddress)
                && matches(ALICE_SEALED_ONE).size() == 1);
        assertThat(graph.contacts(ALICE)).hasSize(1); // sealed in place, not copied

        // Graph answers 503 for a while: rounds fail, each is logged as a warning, the schedule goes on
        graphDown.set(true);
        String wilhelmina = "Wilhelmina Laterson";
        String wilhelminaAddress = "w.laterson@later.example";
        graph.seed(ALICE, outlookContact(wilhelmina, wilhelminaAddress));
        Pattern failedRound = Pattern.compile("WARN .*contacts sync.*" + Pattern.quote(ALICE) + ".*503 ServiceNotAvailable");
        await("two failed rounds logged as warnings", () -> matches(failedRound).size() >= 2);
        // the failed rounds sealed nothing: the second contact is still as Outlook made it
        assertThat(ContactScan.values(graph)).contains(wilhelmina, wilhelminaAddress);
        assertThat(matches(ALICE_SEALED_ONE)).hasSize(1);

        // Graph is back: a later round, with no command run, seals the second contact
        graphDown.set(false);
        await("round sealing " + wilhelmina + " after the outage",
                () -> !containsAny(ContactScan.values(graph), wilhelmina, wilhelminaAddress)
                        && matches(ALICE_SEALED_ONE).size() == 2);
        List<Integer> failures = matches(failedRound);
        List<Integer> seals = matches(ALICE_SEALED_ONE);
        assertThat(seals.get(0)).isLessThan(failures.get(0));
        assertThat(seals.get(1)).isGreaterThan(failures.get(failures.size() - 1));
        assertThat(graph.contacts(ALICE)).hasSize(2);
        String exchange = ContactScan.values(graph);
        assertThat(exchange).doesNotContain(desmond, desmondAddress, wilhelmina, wilhelminaAddress, "Desmond",
                "Wilhelmina");

        // the real cards are in the vault: the export reveals both, neither read back as a plaintext contact
        Path out = dir.resolve("out.vcf");
        assertThat(veil.command("contacts", "export", "--mailbox", ALICE, "--out", out.toString()))
                .contains("export " + ALICE + ": 2 exported, 0 failed");
        assertThat(Files.readString(out)).contains("FN:" + desmond, desmondAddress, "FN:" + wilhelmina,
                wilhelminaAddress);
    }

    /**
     * No {@code graph.mailboxes} entry for Alice: the server knows her mailbox from the contacts journal (an earlier
     * import). The one configured mailbox fails every round (Graph does not know it); that is logged, and Alice is
     * synced all the same. (That the sealed contact's real data is in the vault is shown above; the rounds are the
     * same code for a journal mailbox.)
     */
    @Test
    void aMailboxKnownFromTheJournalIsSyncedEvenWhenAConfiguredOneFailsEveryRound() throws Exception {
        graph.beforeEach(r -> {
            if (r.path().contains("/users/" + GHOST + "/")) {
                graph.failNext(404, "ErrorInvalidUser", "The requested user '" + GHOST + "' is invalid.");
            }
        });
        veil = veil(GHOST);
        Path vcf = dir.resolve("card.vcf");
        Files.writeString(vcf, """
                BEGIN:VCARD
                VERSION:3.0
                UID:card-a
                FN:Annabel Quartermaine
                EMAIL;TYPE=INTERNET:annabel.q@quarter.example
                END:VCARD
                """);
        assertThat(veil.command("contacts", "import", vcf.toString(), "--mailbox", ALICE))
                .contains("import " + ALICE + ": 1 created, 0 updated, 0 unchanged, 0 failed");
        veil.start();

        String desmond = "Desmond Outlookmade";
        String desmondAddress = "desmond@outlook-made.example";
        assertThat(seedAndLook(ALICE, outlookContact(desmond, desmondAddress))).contains(desmond, desmondAddress);
        await("round sealing " + desmond, () -> !containsAny(ContactScan.values(graph), desmond, desmondAddress)
                && matches(ALICE_SEALED_ONE).size() == 1);
        assertThat(graph.contacts(ALICE)).hasSize(2);
        // the interval as configured, not as java.time prints it ("PT2S")
        Pattern ghostFailed = Pattern.compile("WARN .*contacts sync " + Pattern.quote(GHOST)
                + " failed \\(next round in 2 seconds\\): .*404 ErrorInvalidUser");
        // the ghost came first in the round that synced Alice, and failed
        assertThat(matches(ghostFailed)).isNotEmpty();
        assertThat(matches(ghostFailed).get(0)).isLessThan(matches(ALICE_SEALED_ONE).get(0));
    }
}
