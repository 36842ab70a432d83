package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.gateway.contacts.PhotoPlaceholder;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.GraphStandIn;
import dev.veil.tests.support.Jpegs;
import dev.veil.tests.support.VCardCompare;
import ezvcard.VCard;
import ezvcard.property.Photo;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contact photos set in Outlook (Graph's {@code .../contacts/{id}/photo/$value}, held per contact by the stand-in):
 * {@code seal} and {@code sync} vault the real photo with the card and leave Exchange only the placeholder; the export
 * gives the real photo back; a seal stopped or failing between its PATCH and the placeholder is finished by the next
 * run, and the placeholder is never vaulted as someone's photo.
 */
class ContactsPhotoTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "alice@example.com";
    private static final byte[] PLACEHOLDER = PhotoPlaceholder.photo().bytes();

    @TempDir
    Path dir;
    @RegisterExtension
    final GraphStandIn graph = new GraphStandIn(); // closed after each test

    private GatewayProcess veil() {
        GatewayProcess veil = GatewayProcess.fresh(dir.resolve("data"));
        graph.settings().forEach(veil::set);
        return veil;
    }

    private static ObjectNode contact(String given, String surname) {
        ObjectNode c = JSON.createObjectNode();
        c.put("givenName", given);
        c.put("surname", surname);
        c.put("displayName", given + " " + surname);
        return c;
    }

    /** The exported cards, by formatted name. */
    private Map<String, VCard> export(GatewayProcess veil) {
        Path out = dir.resolve("export-" + System.nanoTime() + ".vcf");
        veil.command("contacts", "export", "--mailbox", ALICE, "--out", out.toString());
        return VCardCompare.read(out).stream().collect(Collectors.toMap(c -> c.getFormattedName().getValue(), c -> c));
    }

    private long requests(String method, Predicate<String> path, int from) {
        List<GraphStandIn.Request> all = graph.requests();
        return all.subList(from, all.size()).stream().filter(r -> r.method().equals(method) && path.test(r.path())).count();
    }

    private static boolean isPhoto(String path) {
        return path.endsWith("/photo/$value");
    }

    private void assertExchangeHoldsNo(byte[]... photos) {
        String exchange = ContactScan.values(graph);
        for (byte[] photo : photos) {
            for (String form : ContactScan.forms(photo)) {
                assertThat(exchange.contains(form)).as("a form of a real photo in what Exchange holds").isFalse();
            }
        }
    }

    @Test
    void anOutlookPhotoIsVaultedAndExchangeKeepsOnlyThePlaceholder() throws Exception {
        byte[] face = Jpegs.photo(1);
        String withPhoto = graph.seed(ALICE, contact("Ottoline", "Brackenbury"));
        graph.setPhoto(ALICE, withPhoto, face);
        String without = graph.seed(ALICE, contact("Peregrine", "Ashdown"));
        assertThat(ContactScan.values(graph)).contains(ContactScan.forms(face).get(0)); // the scan sees photos
        GatewayProcess veil = veil();

        int before = graph.requests().size();
        assertThat(veil.command("contacts", "seal", "--mailbox", ALICE))
                .contains("seal " + ALICE + ": 2 sealed, 0 already sealed, 0 failed");
        // one photo read per contact sealed, one placeholder written for the one with a photo, never a DELETE
        assertThat(requests("GET", ContactsPhotoTest::isPhoto, before)).isEqualTo(2);
        assertThat(requests("PUT", ContactsPhotoTest::isPhoto, before)).isEqualTo(1);
        assertThat(requests("DELETE", p -> true, before)).isZero();

        assertThat(graph.photo(ALICE, withPhoto).bytes()).isEqualTo(PLACEHOLDER);
        assertThat(graph.photo(ALICE, without)).isNull(); // no photo, no placeholder
        assertExchangeHoldsNo(face);
        assertThat(ContactScan.values(graph)).doesNotContain("Ottoline", "Brackenbury", "Peregrine");

        Map<String, VCard> real = export(veil);
        assertThat(real.get("Ottoline Brackenbury").getPhotos()).extracting(Photo::getData).containsExactly(face);
        assertThat(real.get("Peregrine Ashdown").getPhotos()).isEmpty();

        // done is done: a re-run reads no photo; the next sync checks the contact the placeholder changed, once
        before = graph.requests().size();
        assertThat(veil.command("contacts", "seal", "--mailbox", ALICE))
                .contains("seal " + ALICE + ": 0 sealed, 2 already sealed, 0 failed");
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE))
                .contains("sync " + ALICE + ": 0 sealed, 0 edits merged, 0 removed, 2 unchanged, 0 failed");
        assertThat(requests("GET", ContactsPhotoTest::isPhoto, before)).isEqualTo(1);
        assertThat(requests("PUT", ContactsPhotoTest::isPhoto, before)).isZero();
        assertThat(requests("PATCH", p -> true, before)).isZero();
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE))
                .contains("sync " + ALICE + ": 0 sealed, 0 edits merged, 0 removed, 0 unchanged, 0 failed");
        assertThat(export(veil).get("Ottoline Brackenbury").getPhotos()).extracting(Photo::getData).containsExactly(face);
    }

    @Test
    void aPhotoChangedInOutlookIsVaultedByTheNextSync() throws Exception {
        byte[] first = Jpegs.photo(2);
        byte[] second = Jpegs.photo(3);
        byte[] newcomer = Jpegs.photo(4);
        String id = graph.seed(ALICE, contact("Wilhelmina", "Fairweather"));
        graph.setPhoto(ALICE, id, first);
        GatewayProcess veil = veil();
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE))
                .contains("sync " + ALICE + ": 1 sealed, 0 edits merged, 0 removed, 0 unchanged, 0 failed");
        veil.command("contacts", "sync", "--mailbox", ALICE); // sees the placeholder Veil wrote
        assertThat(graph.photo(ALICE, id).bytes()).isEqualTo(PLACEHOLDER);

        graph.setPhoto(ALICE, id, second); // the user picks a new photo in Outlook
        String made = graph.seed(ALICE, contact("Barnaby", "Quillfeather")); // and makes a contact with one
        graph.setPhoto(ALICE, made, newcomer);
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE))
                .contains("sync " + ALICE + ": 1 sealed, 1 edits merged, 0 removed, 0 unchanged, 0 failed");

        assertThat(graph.photo(ALICE, id).bytes()).isEqualTo(PLACEHOLDER);
        assertThat(graph.photo(ALICE, made).bytes()).isEqualTo(PLACEHOLDER);
        assertExchangeHoldsNo(first, second, newcomer);
        Map<String, VCard> real = export(veil);
        assertThat(real).hasSize(2);
        assertThat(real.get("Wilhelmina Fairweather").getPhotos()).extracting(Photo::getData).containsExactly(second);
        assertThat(real.get("Barnaby Quillfeather").getPhotos()).extracting(Photo::getData).containsExactly(newcomer);

        // the placeholder writes are Veil's: checked once, then quiet
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE))
                .contains("sync " + ALICE + ": 0 sealed, 0 edits merged, 0 removed, 2 unchanged, 0 failed");
        assertThat(veil.command("contacts", "sync", "--mailbox", ALICE))
                .contains("sync " + ALICE + ": 0 sealed, 0 edits merged, 0 removed, 0 unchanged, 0 failed");
    }

    /** Killed (SIGKILL) at the arrival of the placeholder PUT, which is then lost: Exchange is sealed but for the photo. */
    @Test
    void aSealKilledBeforeThePlaceholderIsFinishedByTheRerun() throws Exception {
        assertKilledAtThePlaceholderAndResumed(false);
    }

    /** Killed at the arrival of the placeholder PUT, which Exchange applies: the re-run must not vault the placeholder. */
    @Test
    void aSealKilledAfterThePlaceholderDoesNotVaultThePlaceholder() throws Exception {
        assertKilledAtThePlaceholderAndResumed(true);
    }

    private void assertKilledAtThePlaceholderAndResumed(boolean putApplied) throws Exception {
        byte[] face = Jpegs.photo(5);
        String id = graph.seed(ALICE, contact("Cornelius", "Thistlewood"));
        graph.setPhoto(ALICE, id, face);
        GatewayProcess veil = veil();
        AtomicReference<Process> running = new AtomicReference<>();
        AtomicBoolean killed = new AtomicBoolean();
        graph.beforeEach(r -> {
            if (r.method().equals("PUT") && isPhoto(r.path()) && killed.compareAndSet(false, true)) {
                running.get().destroyForcibly();
                try {
                    running.get().waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (!putApplied) {
                    throw new IllegalStateException("test: the PUT is lost with the client");
                }
            }
        });
        Process p = veil.startCommand("contacts", "seal", "--mailbox", ALICE);
        running.set(p);
        try {
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        } catch (java.io.IOException closed) {
            // the stream closes with the killed process
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(killed).isTrue();
        assertThat(p.exitValue()).isNotZero();
        graph.beforeEach(r -> { });
        graph.requests(); // waits until the stand-in has finished with the killed client's PUT
        // the PATCH went through: Exchange has the sealed fields, and either the real photo or the placeholder
        assertThat(ContactScan.values(graph)).doesNotContain("Cornelius", "Thistlewood");
        assertThat(graph.photo(ALICE, id).bytes()).isEqualTo(putApplied ? PLACEHOLDER : face);

        int before = graph.requests().size();
        assertThat(veil.command("contacts", "seal", "--mailbox", ALICE)).contains("seal " + ALICE + ": "
                + (putApplied ? "0 sealed, 1 already sealed" : "1 sealed, 0 already sealed") + ", 0 failed");
        assertThat(requests("PUT", ContactsPhotoTest::isPhoto, before)).isEqualTo(putApplied ? 0 : 1);
        assertThat(requests("PATCH", x -> true, before)).isZero();
        assertThat(graph.photo(ALICE, id).bytes()).isEqualTo(PLACEHOLDER);
        assertExchangeHoldsNo(face);
        assertThat(export(veil).get("Cornelius Thistlewood").getPhotos()).extracting(Photo::getData).containsExactly(face);
        assertThat(veil.command("contacts", "seal", "--mailbox", ALICE))
                .contains("seal " + ALICE + ": 0 sealed, 1 already sealed, 0 failed");
    }

    /**
     * Fail closed: a photo that cannot be read leaves the contact as it was (nothing is sealed around it); a placeholder
     * that cannot be written is a failure in the summary, and the next run writes it.
     */
    @Test
    void aPhotoThatCannotBeReadOrReplacedFailsTheContactUntilARerunSucceeds() throws Exception {
        byte[] face = Jpegs.photo(6);
        String id = graph.seed(ALICE, contact("Araminta", "Goldsworthy"));
        graph.setPhoto(ALICE, id, face);
        GatewayProcess veil = veil();

        AtomicBoolean failed = new AtomicBoolean();
        graph.beforeEach(r -> {
            if (r.method().equals("GET") && isPhoto(r.path()) && failed.compareAndSet(false, true)) {
                graph.failNext(500, "ErrorInternalServerError", "An internal server error occurred.");
            }
        });
        GatewayProcess.CommandResult read = veil.commandResult("contacts", "seal", "--mailbox", ALICE);
        assertThat(read.exit()).isEqualTo(1);
        assertThat(read.output()).contains("/photo/$value: 500 ErrorInternalServerError")
                .contains("seal " + ALICE + ": 0 sealed, 0 already sealed, 1 failed");
        assertThat(graph.patchCounts()).isEmpty(); // nothing was sealed without its photo
        assertThat(graph.photo(ALICE, id).bytes()).isEqualTo(face);

        failed.set(false);
        graph.beforeEach(r -> {
            if (r.method().equals("PUT") && isPhoto(r.path()) && failed.compareAndSet(false, true)) {
                graph.failNext(500, "ErrorInternalServerError", "An internal server error occurred.");
            }
        });
        GatewayProcess.CommandResult put = veil.commandResult("contacts", "seal", "--mailbox", ALICE);
        assertThat(put.exit()).isEqualTo(1);
        assertThat(put.output()).contains("PUT users/alice@example.com/contacts/" + id + "/photo/$value: 500")
                .contains("seal " + ALICE + ": 0 sealed, 0 already sealed, 1 failed");
        assertThat(graph.photo(ALICE, id).bytes()).isEqualTo(face); // known: the journal says the seal is not done

        graph.beforeEach(r -> { });
        assertThat(veil.command("contacts", "seal", "--mailbox", ALICE))
                .contains("seal " + ALICE + ": 1 sealed, 0 already sealed, 0 failed");
        assertThat(graph.photo(ALICE, id).bytes()).isEqualTo(PLACEHOLDER);
        assertExchangeHoldsNo(face);
        assertThat(export(veil).get("Araminta Goldsworthy").getPhotos()).extracting(Photo::getData).containsExactly(face);
    }

    /** Throttled photo requests wait as every Graph request does. */
    @Test
    void throttledPhotoRequestsAreRetried() throws Exception {
        byte[] face = Jpegs.photo(7);
        String id = graph.seed(ALICE, contact("Leopold", "Hawksworth"));
        graph.setPhoto(ALICE, id, face);
        AtomicBoolean throttledRead = new AtomicBoolean();
        AtomicBoolean throttledWrite = new AtomicBoolean();
        graph.beforeEach(r -> {
            if (isPhoto(r.path()) && (r.method().equals("GET") && throttledRead.compareAndSet(false, true)
                    || r.method().equals("PUT") && throttledWrite.compareAndSet(false, true))) {
                graph.throttleNext(1, 0);
            }
        });
        GatewayProcess veil = veil();
        assertThat(veil.command("contacts", "seal", "--mailbox", ALICE))
                .contains("seal " + ALICE + ": 1 sealed, 0 already sealed, 0 failed");
        assertThat(graph.requests()).filteredOn(r -> isPhoto(r.path()))
                .extracting(r -> r.method() + " " + r.status()).containsExactly("GET 429", "GET 200", "PUT 429", "PUT 200");
        assertThat(graph.photo(ALICE, id).bytes()).isEqualTo(PLACEHOLDER);
        assertThat(export(veil).get("Leopold Hawksworth").getPhotos()).extracting(Photo::getData).containsExactly(face);
    }
}
