package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.GraphStandIn;
import dev.veil.tests.support.VCardCompare;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil contacts rotate-keys} against the Graph stand-in: new pseudonym keys re-seal the vault and every sealed
 * contact in Exchange (new pseudonyms, new vault ids), real data and Outlook edits survive, and a run that fails
 * part-way is finished by the next run, which does not rotate again.
 */
class ContactsKeyRotationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "alice@example.com";
    private static final String CARDS = String.join("\r\n",
            "BEGIN:VCARD",
            "VERSION:3.0",
            "UID:card-a",
            "FN:Annabel Quartermaine",
            "N:Quartermaine;Annabel;;;",
            "EMAIL;TYPE=INTERNET:annabel.q@quarter.example",
            "TEL;TYPE=CELL:+44 7700 900111",
            "END:VCARD",
            "BEGIN:VCARD",
            "VERSION:3.0",
            "UID:card-b",
            "FN:Bartholomew Vance",
            "EMAIL;type=INTERNET:bart.vance@vance.example",
            "END:VCARD",
            "BEGIN:VCARD",
            "VERSION:3.0",
            "FN:Cordelia Featherstone",
            "NOTE:prefers letters",
            "END:VCARD",
            "");

    @TempDir
    Path dir;
    @RegisterExtension
    final GraphStandIn graph = new GraphStandIn(); // closed after each test

    private GatewayProcess veil() {
        GatewayProcess veil = GatewayProcess.fresh(dir.resolve("data"));
        graph.settings().forEach(veil::set);
        return veil;
    }

    @Test
    void newKeysResealTheVaultAndExchangeAndTheRealDataAndOutlookEditsSurvive() throws Exception {
        GatewayProcess veil = sealedMailbox();
        List<String> before = graph.storedJson();
        assertThat(vaultIds()).hasSize(4).allMatch(v -> v.startsWith("vid1-"));
        // edited in Outlook before the rotation and not synced yet: the rotation must merge it, not vault pseudonyms
        String annabel = graph.contacts(ALICE).get(0).get("id").asText();
        graph.edit(ALICE, annabel, JSON.createObjectNode().put("mobilePhone", "+44 7700 900999"));

        String rotated = veil.command("contacts", "rotate-keys");

        assertThat(rotated).contains("pseudonym keys rotated: version 2", "vault: 4 rows re-sealed under version 2",
                "rekey " + ALICE + ": 4 re-sealed under the new keys, 0 already under them, 0 failed",
                "rotation to version 2 complete");
        assertThat(vaultIds()).hasSize(4).allMatch(v -> v.startsWith("vid2-"));
        List<String> after = graph.storedJson();
        int withEmail = 0;
        for (int i = 0; i < before.size(); i++) {
            if (!aliasEmails(before.get(i)).isEmpty()) {
                withEmail++;
                assertThat(aliasEmails(after.get(i))).as("contact %d's pseudonyms are new", i).isNotEmpty()
                        .doesNotContainAnyElementsOf(aliasEmails(before.get(i)));
            }
        }
        assertThat(withEmail).isEqualTo(3);
        String exchange = ContactScan.values(after);
        for (String plaintext : new String[] {"Annabel", "Quartermaine", "annabel.q@quarter.example", "+44 7700 900999",
                "+44 7700 900111", "Bartholomew", "bart.vance@vance.example", "Cordelia", "prefers letters", "Desmond",
                "desmond@outlook-made.example"}) {
            assertThat(exchange).doesNotContain(plaintext);
        }
        String real = export(veil);
        assertThat(real).contains("FN:Annabel Quartermaine", "annabel.q@quarter.example", "+44 7700 900999",
                "FN:Desmond Outlookmade", "desmond@outlook-made.example", "prefers letters");
        assertThat(real).doesNotContain("+44 7700 900111").doesNotContain("vid1-").doesNotContain("vid2-");
        // an imported card nobody edited still comes back as the bytes it was imported from
        List<byte[]> blocks = VCardCompare.cardBlocks(CARDS.getBytes(StandardCharsets.UTF_8));
        assertThat(real).contains(new String(blocks.get(1), StandardCharsets.UTF_8));

        // nothing left to do: a sync sees only Veil's own writes
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE))
                .contains("0 sealed, 0 edits merged, 0 removed, 4 unchanged, 0 failed");
    }

    @Test
    void aRotationThatFailedPartWayIsFinishedByTheNextRunWithoutRotatingAgain() throws Exception {
        GatewayProcess veil = sealedMailbox();
        AtomicInteger patches = new AtomicInteger();
        graph.beforeEach(r -> {
            if (r.method().equals("PATCH") && patches.incrementAndGet() == 2) {
                graph.failNext(500, "ErrorInternalServerError", "An internal server error occurred.");
            }
        });
        GatewayProcess.CommandResult first = veil.commandResult("contacts", "rotate-keys");
        assertThat(first.exit()).as(first.output()).isEqualTo(1);
        assertThat(first.output()).contains("pseudonym keys rotated: version 2", "not finished — run it again");
        assertThat(vaultIds()).as("some contacts still carry the old version").anyMatch(v -> v.startsWith("vid1-"));
        assertThat(dir.resolve("data/keys/pseudonym-rotation.pending")).exists();

        graph.beforeEach(r -> { });
        String second = veil.command("contacts", "rotate-keys");

        assertThat(second).contains("resuming the pseudonym key rotation to version 2", "rotation to version 2 complete")
                .contains("0 failed");
        assertThat(vaultIds()).hasSize(4).allMatch(v -> v.startsWith("vid2-"));
        assertThat(dir.resolve("data/keys/pseudonym-rotation.pending")).doesNotExist();
        String real = export(veil);
        assertThat(real).contains("FN:Annabel Quartermaine", "+44 7700 900111", "bart.vance@vance.example",
                "prefers letters", "desmond@outlook-made.example");

        // the next rotation is a new one
        assertThat(veil.command("contacts", "rotate-keys")).contains("pseudonym keys rotated: version 3",
                "rotation to version 3 complete");
        assertThat(vaultIds()).hasSize(4).allMatch(v -> v.startsWith("vid3-"));
    }

    /** Three imported cards and one contact made in Outlook, all sealed under the first key version. */
    private GatewayProcess sealedMailbox() throws Exception {
        Path vcf = dir.resolve("cards.vcf");
        Files.writeString(vcf, CARDS);
        GatewayProcess veil = veil();
        assertThat(veil.command("contacts", "import", vcf.toString(), "--mailbox", ALICE))
                .contains("3 created, 0 updated, 0 unchanged, 0 failed");
        ObjectNode outlook = JSON.createObjectNode();
        outlook.put("displayName", "Desmond Outlookmade");
        outlook.putArray("emailAddresses").addObject().put("address", "desmond@outlook-made.example");
        graph.seed(ALICE, outlook);
        assertThat(veil.command("contacts", "seal", "--mailbox", ALICE)).contains("1 sealed, 3 already sealed, 0 failed");
        return veil;
    }

    private List<String> vaultIds() throws Exception {
        List<String> ids = new ArrayList<>();
        for (String json : graph.storedJson()) {
            for (JsonNode p : JSON.readTree(json).path("singleValueExtendedProperties")) {
                if (p.path("id").asText().endsWith("Name VeilVaultId")) {
                    ids.add(p.path("value").asText());
                }
            }
        }
        return ids;
    }

    private static List<String> aliasEmails(String json) throws Exception {
        List<String> emails = new ArrayList<>();
        for (JsonNode e : JSON.readTree(json).path("emailAddresses")) {
            emails.add(e.path("address").asText());
        }
        return emails;
    }

    private String export(GatewayProcess veil) throws Exception {
        Path out = dir.resolve("out.vcf");
        veil.command("contacts", "export", "--mailbox", ALICE, "--out", out.toString());
        return Files.readString(out);
    }
}
