package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.GraphStandIn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil contacts sync} against the stand-in: contacts made in Outlook get sealed, an Outlook edit of a sealed
 * contact wins for the properties it changed and the rest stays real, a deletion forgets the real data, and Veil's own
 * writes are not mistaken for edits. And a bad Graph answer in the middle of an import fails that card only.
 */
class ContactsSyncTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "alice@example.com";
    private static final String CARDS = """
            BEGIN:VCARD
            VERSION:3.0
            UID:card-a
            FN:Annabel Quartermaine
            N:Quartermaine;Annabel;;;
            EMAIL;TYPE=INTERNET:annabel.q@quarter.example
            TEL;TYPE=CELL:+44 7700 900111
            END:VCARD
            BEGIN:VCARD
            VERSION:3.0
            UID:card-b
            FN:Bartholomew Vance
            EMAIL;TYPE=INTERNET:bart.vance@vance.example
            END:VCARD
            BEGIN:VCARD
            VERSION:3.0
            FN:Cordelia Featherstone
            NOTE:prefers letters
            END:VCARD
            """;

    @TempDir
    Path dir;
    @RegisterExtension
    final GraphStandIn graph = new GraphStandIn(); // closed after each test

    private GatewayProcess veil() {
        GatewayProcess veil = GatewayProcess.fresh(dir.resolve("data"));
        graph.settings().forEach(veil::set);
        return veil;
    }

    private String export(GatewayProcess veil) throws Exception {
        Path out = dir.resolve("out.vcf");
        veil.command("contacts", "export", "--mailbox", ALICE, "--out", out.toString());
        return Files.readString(out);
    }

    /**
     * A user edits a plaintext contact in Outlook while {@code seal} is replacing it: Veil's PATCH carries the version
     * it read ({@code If-Match}), Graph refuses it with 412, and Veil seals the contact as it is now — the edit is
     * neither overwritten in Exchange nor lost from the vault.
     */
    @Test
    void anOutlookEditWhileSealingIsSealedNotOverwritten() throws Exception {
        ObjectNode typed = JSON.createObjectNode();
        typed.put("displayName", "Ferdinand Racecondition");
        typed.put("mobilePhone", "+44 7700 900222");
        String id = graph.seed(ALICE, typed);
        java.util.concurrent.atomic.AtomicBoolean edited = new java.util.concurrent.atomic.AtomicBoolean();
        graph.beforeEach(r -> {
            if (r.method().equals("PATCH") && r.path().endsWith(id) && edited.compareAndSet(false, true)) {
                graph.edit(ALICE, id, JSON.createObjectNode().put("mobilePhone", "+44 7700 900333")
                        .put("jobTitle", "Lighthouse Keeper"));
            }
        });
        GatewayProcess veil = veil();

        assertThat(veil.command("contacts", "seal", "--mailbox", ALICE))
                .contains("seal " + ALICE + ": 1 sealed, 0 already sealed, 0 failed");

        assertThat(graph.requests()).filteredOn(r -> r.method().equals("PATCH")).extracting(GraphStandIn.Request::status)
                .containsExactly(412, 200);
        String exchange = ContactScan.values(graph);
        for (String plaintext : new String[] {"Ferdinand", "Racecondition", "+44 7700 900222", "+44 7700 900333",
                "Lighthouse Keeper"}) {
            assertThat(exchange).doesNotContain(plaintext);
        }
        String real = export(veil);
        assertThat(real).contains("FN:Ferdinand Racecondition", "+44 7700 900333", "Lighthouse Keeper")
                .doesNotContain("+44 7700 900222");
    }

    @Test
    void outlookChangesAreSealedMergedAndForgotten() throws Exception {
        Path vcf = dir.resolve("cards.vcf");
        Files.writeString(vcf, CARDS);
        GatewayProcess veil = veil();
        assertThat(veil.command("contacts", "import", vcf.toString(), "--mailbox", ALICE))
                .contains("import " + ALICE + ": 3 created, 0 updated, 0 unchanged, 0 failed");
        String annabel = graph.contacts(ALICE).get(0).get("id").asText();
        String bart = graph.contacts(ALICE).get(1).get("id").asText();

        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE))
                .contains("sync " + ALICE + ": 0 sealed, 0 edits merged, 0 removed, 3 unchanged, 0 failed");

        // a contact made in Outlook
        ObjectNode outlook = JSON.createObjectNode();
        outlook.put("displayName", "Desmond Outlookmade");
        outlook.putArray("emailAddresses").addObject().put("address", "desmond@outlook-made.example");
        graph.seed(ALICE, outlook);
        // a sealed contact edited in Outlook: a new mobile number and a job title
        graph.edit(ALICE, annabel, JSON.createObjectNode().put("mobilePhone", "+44 7700 900999").put("jobTitle", "Harbour Master"));
        // a contact deleted in Outlook
        graph.remove(ALICE, bart);

        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE))
                .contains("sync " + ALICE + ": 1 sealed, 1 edits merged, 1 removed, 0 unchanged, 0 failed");
        String exchange = ContactScan.values(graph);
        for (String plaintext : new String[] {"Desmond Outlookmade", "desmond@outlook-made.example", "+44 7700 900999",
                "Harbour Master", "Annabel", "Quartermaine", "annabel.q@quarter.example"}) {
            assertThat(exchange).doesNotContain(plaintext);
        }
        String real = export(veil);
        assertThat(real).contains("FN:Desmond Outlookmade", "desmond@outlook-made.example");
        // the edit won for what it changed; the rest of Annabel is still real
        assertThat(real).contains("+44 7700 900999", "Harbour Master", "FN:Annabel Quartermaine",
                "annabel.q@quarter.example", "UID:card-a"); // her card's own UID is not an edit
        assertThat(real).doesNotContain("+44 7700 900111");
        assertThat(real).doesNotContain("Bartholomew").doesNotContain("bart.vance");

        // Veil's own writes of the last round are not edits
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE))
                .contains("sync " + ALICE + ": 0 sealed, 0 edits merged, 0 removed, 2 unchanged, 0 failed");
    }

    /**
     * An Outlook edit of one phone number (or one more address) changes that value only: the other numbers and
     * addresses, which Exchange shows as pseudonyms, stay real in the vault. A black-box probe's edit of a mobile number
     * put the business and home numbers' pseudonyms into the vault, and an added address its neighbour's alias.
     */
    @Test
    void anOutlookEditOfOneValueLeavesTheOtherValuesOfItsKindReal() throws Exception {
        ObjectNode typed = JSON.createObjectNode();
        typed.put("givenName", "Lena").put("surname", "Vogt").put("displayName", "Lena Vogt");
        typed.putArray("emailAddresses").addObject().put("address", "lena.vogt@vogt-partner.example");
        typed.putArray("businessPhones").add("+49 30 1234567");
        typed.putArray("homePhones").add("+49 30 7654321");
        typed.put("mobilePhone", "+49 151 1111111");
        typed.put("businessHomePage", "https://vogt-partner.example/lena");
        String id = graph.seed(ALICE, typed);
        GatewayProcess veil = veil();
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE)).contains("1 sealed");
        String before = export(veil);
        assertThat(before).contains("+49 30 1234567", "+49 30 7654321", "+49 151 1111111",
                "lena.vogt@vogt-partner.example", "https://vogt-partner.example/lena");

        graph.edit(ALICE, id, JSON.createObjectNode().put("mobilePhone", "+49 151 2222222"));
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE)).contains("1 edits merged");
        String real = export(veil);
        assertThat(real).contains("+49 30 1234567", "+49 30 7654321", "+49 151 2222222",
                "lena.vogt@vogt-partner.example").doesNotContain("+49 151 1111111");
        assertThat(real).as("the web page, which Exchange does not show").contains("https://vogt-partner.example/lena");

        ObjectNode withSecond = JSON.createObjectNode();
        var addresses = withSecond.putArray("emailAddresses");
        graph.contacts(ALICE).get(0).path("emailAddresses").forEach(a -> addresses.add(a.deepCopy()));
        addresses.addObject().put("address", "lena@home.example");
        graph.edit(ALICE, id, withSecond);
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE)).contains("1 edits merged");
        real = export(veil);
        assertThat(real).contains("lena.vogt@vogt-partner.example", "lena@home.example", "+49 30 1234567",
                "+49 30 7654321", "+49 151 2222222").doesNotContain("@alias.");
        String exchange = ContactScan.values(graph);
        for (String plaintext : new String[] {"Lena", "Vogt", "+49 30 1234567", "+49 151 2222222", "lena@home.example"}) {
            assertThat(exchange).doesNotContain(plaintext);
        }
    }

    @Test
    void anUnexpectedGraphAnswerFailsOneCardAndTheRerunCompletesTheBatch() throws Exception {
        Path vcf = dir.resolve("cards.vcf");
        Files.writeString(vcf, CARDS);
        GatewayProcess veil = veil();
        AtomicInteger posts = new AtomicInteger();
        graph.beforeEach(r -> {
            if (r.method().equals("POST") && posts.incrementAndGet() == 2) {
                graph.respondRawNext(200, "<html><body>Service is being upgraded</body></html>");
            }
        });
        GatewayProcess.CommandResult first = veil.commandResult("contacts", "import", vcf.toString(), "--mailbox", ALICE);
        assertThat(first.exit()).isEqualTo(1);
        assertThat(first.output()).contains("cards.vcf:9 (card 2): POST users/alice@example.com/contacts: 200 unexpected"
                + " response: not JSON: <html><body>Service is being upgraded");
        assertThat(first.output()).contains("import " + ALICE + ": 2 created, 0 updated, 0 unchanged, 1 failed");
        graph.beforeEach(r -> { });
        assertThat(veil.command("contacts", "import", vcf.toString(), "--mailbox", ALICE))
                .contains("import " + ALICE + ": 1 created, 0 updated, 2 unchanged, 0 failed");
        assertThat(graph.storedJson()).hasSize(3);
    }

    /** Outlook birthdays (v1.0 DateTimeOffsets) are vaulted, left out of the sealed contact and exported back. */
    @Test
    void anOutlookBirthdayIsSealedAndExportedBack() throws Exception {
        graph.seed(ALICE, JSON.createObjectNode().put("displayName", "Erin Midnight").put("birthday", "1980-05-17T00:00:00Z"));
        graph.seed(ALICE, JSON.createObjectNode().put("displayName", "Erin Noon").put("birthday", "1974-07-22T11:59:00Z"));
        GatewayProcess veil = veil();

        assertThat(veil.command("contacts", "seal", "--mailbox", ALICE))
                .contains("seal " + ALICE + ": 2 sealed, 0 already sealed, 0 failed");
        assertThat(graph.contacts(ALICE)).allSatisfy(c -> assertThat(c.path("birthday").isTextual()).isFalse());
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE)).contains("0 failed");
        assertThat(export(veil)).contains("BDAY:19800517", "BDAY:19740722T115900Z");
    }

    /** Two different cards with one UID in one import: the second is refused, the first is not replaced. */
    @Test
    void aSecondDifferentCardWithTheSameUidInOneImportIsRefused() throws Exception {
        Path vcf = dir.resolve("twins.vcf");
        Files.writeString(vcf, """
                BEGIN:VCARD
                VERSION:3.0
                UID:same-uid
                FN:Alpha Firstcard
                END:VCARD
                BEGIN:VCARD
                VERSION:3.0
                UID:same-uid
                FN:Bravo Secondcard
                END:VCARD
                """);
        GatewayProcess veil = veil();

        GatewayProcess.CommandResult result = veil.commandResult("contacts", "import", vcf.toString(), "--mailbox", ALICE);

        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.output()).contains("twins.vcf:6 (card 2): UID same-uid appears twice in this import with"
                + " different content");
        assertThat(result.output()).contains("import " + ALICE + ": 1 created, 0 updated, 0 unchanged, 1 failed");
        assertThat(graph.storedJson()).hasSize(1);
        assertThat(export(veil)).contains("FN:Alpha Firstcard").doesNotContain("Bravo");
    }
}
