package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.gateway.contacts.PhotoPlaceholder;
import dev.veil.gateway.graph.ContactMapping;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.GraphStandIn;
import dev.veil.tests.support.Jpegs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil contacts seal} killed (SIGKILL) at random points, then run again: at the arrival of a random PATCH,
 * with the PATCH then applied (Exchange sealed, Veil's journal not told) or dropped (vaulted, Exchange not yet
 * sealed); 1-4 s after the start, while the JVM and H2 open the database the previous run left behind; and at a
 * random moment during the sealing. (Kills during the start lost committed vault rows of the previous run in two runs
 * of an earlier version; the cause was not found and has not been seen since, so those rounds are part of the test.)
 * In the end every contact is sealed exactly once (one PATCH each, its own vault id), none is lost, and the export
 * gives back every real value. A third of the contacts have a photo: a kill at an applied PATCH leaves one sealed but
 * for its photo; in the end Exchange holds only placeholders and the export every real photo.
 */
public class ContactsSealKillTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "alice@example.com";
    private static final int CONTACTS = 40;

    @TempDir
    Path dir;
    @RegisterExtension
    final GraphStandIn graph = new GraphStandIn(); // closed after each test

    /** A contact as a user would have typed it into Outlook: every value distinct and searchable. */
    public static ObjectNode outlookContact(int i) {
        ObjectNode c = JSON.createObjectNode();
        c.put("givenName", "Marguerite" + i);
        c.put("surname", "Okonkwo-Lindqvist" + i);
        c.put("displayName", "Marguerite" + i + " Okonkwo-Lindqvist" + i);
        c.put("companyName", "Harbourside Joinery " + i);
        c.put("personalNotes", "Met at the trade fair, stand " + (100 + i));
        c.putArray("emailAddresses").addObject().put("name", "Marguerite" + i).put("address", "m.okonkwo" + i + "@joinery.example");
        c.putArray("businessPhones").add("+44 20 7946 " + (1000 + i));
        c.put("mobilePhone", "+44 7700 90" + (1000 + i));
        ObjectNode home = c.putObject("homeAddress");
        home.put("street", (10 + i) + " Quayside Terrace");
        home.put("city", "Portsmouth" + i);
        home.put("postalCode", "PO" + i + " 3QT");
        return c;
    }

    static List<String> personalValues(ObjectNode c) {
        List<String> v = new ArrayList<>();
        for (String f : List.of("givenName", "surname", "displayName", "companyName", "personalNotes", "mobilePhone")) {
            v.add(c.get(f).asText());
        }
        v.add(c.get("emailAddresses").get(0).get("address").asText());
        v.add(c.get("businessPhones").get(0).asText());
        v.add(c.get("homeAddress").get("street").asText());
        v.add(c.get("homeAddress").get("city").asText());
        v.add(c.get("homeAddress").get("postalCode").asText());
        return v;
    }

    @Test
    void sealKilledAtRandomPointsEndsWithEveryContactSealedExactlyOnce() throws Exception {
        List<ObjectNode> originals = new ArrayList<>();
        List<byte[]> photos = new ArrayList<>();
        for (int i = 0; i < CONTACTS; i++) {
            originals.add(outlookContact(i));
            String id = graph.seed(ALICE, outlookContact(i));
            if (i % 3 == 0) { // a photo set in Outlook: a kill between the PATCH and the placeholder must not lose it
                photos.add(Jpegs.photo(i));
                graph.setPhoto(ALICE, id, photos.get(photos.size() - 1));
            }
        }
        GatewayProcess veil = GatewayProcess.fresh(dir.resolve("data"));
        graph.settings().forEach(veil::set);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int kills = 0;
        StringBuilder story = new StringBuilder("seed " + seed);
        for (int round = 0; round < 5; round++) {
            int unsealed = (int) graph.storedJson().stream().filter(j -> !j.contains("VeilVaultId")).count();
            if (unsealed == 0) {
                break;
            }
            int killAt = 1 + random.nextInt(unsealed);
            boolean applyThePatch = random.nextBoolean();
            boolean atRandomTime = round == 3;
            boolean atStart = round == 1 || round == 4;
            AtomicReference<Process> running = new AtomicReference<>();
            AtomicInteger patches = new AtomicInteger();
            int delay = random.nextInt(300);
            graph.beforeEach(r -> {
                if (atRandomTime && r.method().equals("PATCH") && patches.incrementAndGet() == 1) {
                    // somewhere in the middle of sealing: vault writes, journal, requests in flight
                    new Thread(() -> {
                        GatewayProcess.sleep(delay);
                        running.get().destroyForcibly();
                    }).start();
                } else if (!atRandomTime && r.method().equals("PATCH") && patches.incrementAndGet() == killAt) {
                    running.get().destroyForcibly();
                    waitFor(running.get());
                    if (!applyThePatch) {
                        throw new IllegalStateException("test: the PATCH is lost with the client");
                    }
                }
            });
            int startDelay = 1000 + random.nextInt(3000);
            if (atStart) {
                graph.beforeEach(r -> { });
            }
            story.append("\nround ").append(round).append(atStart ? ": kill " + startDelay + " ms after the start"
                    : atRandomTime ? ": kill " + delay + " ms after the first PATCH"
                    : ": kill at PATCH " + killAt + (applyThePatch ? " (applied)" : " (dropped)"))
                    .append(" from request ").append(graph.requests().size());
            Process p = veil.startCommand("contacts", "seal", "--mailbox", ALICE);
            running.set(p);
            if (atStart) {
                new Thread(() -> {
                    GatewayProcess.sleep(startDelay);
                    p.destroyForcibly();
                }).start();
            }
            try {
                p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            } catch (java.io.IOException killed) {
                // the stream closes with the killed process
            }
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            kills += p.exitValue() == 0 ? 0 : 1;
            graph.beforeEach(r -> { });
        }
        assertThat(kills).as("seed " + seed).isGreaterThanOrEqualTo(2);

        String last = veil.command("contacts", "seal", "--mailbox", ALICE);
        assertThat(last).as("seed " + seed).contains("0 failed");

        // none lost, none duplicated, each sealed exactly once with a vault id of its own
        List<String> stored = graph.storedJson();
        assertThat(stored).as("seed " + seed).hasSize(CONTACTS);
        Set<String> vaultIds = new HashSet<>();
        for (String json : stored) {
            JsonNode c = JSON.readTree(json);
            JsonNode ep = c.path("singleValueExtendedProperties");
            assertThat(ep.size()).isEqualTo(1);
            assertThat(ep.get(0).path("id").asText()).isEqualTo(ContactMapping.VAULT_ID_PROPERTY);
            vaultIds.add(ep.get(0).path("value").asText());
            assertThat(graph.patchCounts().get(c.get("id").asText())).as("PATCHes of " + c.get("id") + ", seed " + seed)
                    .isEqualTo(1);
        }
        assertThat(vaultIds).hasSize(CONTACTS);

        String exchange = ContactScan.values(graph);
        Path out = dir.resolve("out.vcf");
        GatewayProcess.CommandResult export = veil.commandResult("contacts", "export", "--mailbox", ALICE, "--out",
                out.toString());
        if (export.exit() != 0) {
            graph.requests().forEach(r -> story.append("\n").append(r.method()).append(' ').append(r.path())
                    .append(' ').append(r.status()));
        }
        assertThat(export.exit()).as(story + "\n" + export.output()).isZero();
        String exported = Files.readString(out);
        for (ObjectNode c : originals) {
            for (String value : personalValues(c)) {
                assertThat(exchange).as("seed " + seed).doesNotContain(value);
                assertThat(exported).as("seed " + seed).contains(value.replace(",", "\\,")); // vCard escapes commas
            }
        }
        // Exchange holds the placeholder where there was a photo, the vault (export) the real one
        assertThat(graph.storedPhotos()).as("seed " + seed).hasSize(photos.size())
                .allSatisfy(p -> assertThat(p).isEqualTo(PhotoPlaceholder.photo().bytes()));
        for (byte[] photo : photos) {
            for (String form : ContactScan.forms(photo)) {
                assertThat(exchange.contains(form)).as("seed " + seed + ": a real photo in Exchange").isFalse();
            }
            assertThat(exported).as("seed " + seed).contains(Base64.getEncoder().encodeToString(photo));
        }
        assertThat(veil.command("contacts", "seal", "--mailbox", ALICE))
                .contains("seal " + ALICE + ": 0 sealed, " + CONTACTS + " already sealed, 0 failed");
    }

    private static void waitFor(Process p) {
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
