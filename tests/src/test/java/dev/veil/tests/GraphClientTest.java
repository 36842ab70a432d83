package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.gateway.graph.ContactFolder;
import dev.veil.gateway.graph.ContactPhoto;
import dev.veil.gateway.graph.DeltaPage;
import dev.veil.gateway.graph.GraphClient;
import dev.veil.gateway.graph.GraphException;
import dev.veil.gateway.graph.GraphSettings;
import dev.veil.tests.support.GraphStandIn;
import dev.veil.tests.support.Jpegs;
import io.dropwizard.util.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Veil's Graph client against the Graph stand-in: paging, delta, throttling, tokens, errors. */
class GraphClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "alice@example.com";
    @RegisterExtension
    final GraphStandIn graph = new GraphStandIn(); // closed after each test

    private GraphSettings settings() {
        GraphSettings s = new GraphSettings();
        s.setBaseUrl(graph.baseUrl());
        s.setTokenUrl(graph.tokenUrl());
        s.setTenantId(graph.tenant());
        s.setClientId(graph.clientId());
        s.setClientSecret(graph.clientSecret());
        s.setPageSize(7);
        s.setInitialBackoff(Duration.milliseconds(50));
        s.setMaxBackoff(Duration.seconds(5));
        return s;
    }

    private GraphClient client() {
        return GraphClient.open(settings(), JSON);
    }

    private static ObjectNode contact(String given) {
        ObjectNode c = JSON.createObjectNode();
        c.put("givenName", given);
        c.putArray("emailAddresses").addObject().put("address", given.toLowerCase() + "@partner.example");
        return c;
    }

    @Test
    void createGetUpdateDeleteWithServerAssignedFields() throws Exception {
        GraphClient client = client();
        ContactFolder folder = ContactFolder.of(ALICE);
        ObjectNode created = client.create(folder, contact("Pavel"), Optional::empty);
        assertThat(created.path("id").asText()).startsWith("AAMk");
        assertThat(created.path("changeKey").asText()).isNotEmpty();
        assertThat(created.path("createdDateTime").asText()).endsWith("Z");

        ObjectNode patch = JSON.createObjectNode().put("surname", "Bansky");
        ObjectNode updated = client.update(folder, created.get("id").asText(), patch);
        assertThat(updated.path("surname").asText()).isEqualTo("Bansky");
        assertThat(updated.path("givenName").asText()).isEqualTo("Pavel");
        assertThat(updated.path("changeKey").asText()).isNotEqualTo(created.path("changeKey").asText());
        assertThat(client.get(folder, created.get("id").asText(), "").path("surname").asText()).isEqualTo("Bansky");

        client.delete(folder, created.get("id").asText());
        assertThatThrownBy(() -> client.get(folder, created.get("id").asText(), ""))
                .isInstanceOf(GraphException.class)
                .hasMessageContaining("GET users/alice@example.com/contacts/" + created.get("id").asText())
                .hasMessageContaining("404 ErrorItemNotFound: The specified object was not found in the store.");
    }

    @Test
    void listFollowsNextLinksAcrossPages() throws Exception {
        Set<String> made = new HashSet<>();
        for (int i = 0; i < 23; i++) {
            made.add(graph.seed(ALICE, contact("C" + i)));
        }
        List<ObjectNode> all = client().list(ContactFolder.of(ALICE), "");
        assertThat(all).extracting(c -> c.get("id").asText()).containsExactlyInAnyOrderElementsOf(made);
        // 23 contacts at $top=7: four pages, the last three followed through @odata.nextLink
        assertThat(graph.requests().stream().filter(r -> r.method().equals("GET")).count()).isEqualTo(4);
        assertThat(graph.requests().stream().filter(r -> r.query() != null && r.query().contains("$skip=21")).count())
                .isEqualTo(1);
    }

    @Test
    void contactFoldersHaveTheirOwnContacts() throws Exception {
        GraphClient client = client();
        ContactFolder work = new ContactFolder(ALICE, "AAMkWorkFolder=");
        client.create(work, contact("InFolder"), Optional::empty);
        assertThat(client.list(work, "")).hasSize(1);
        assertThat(client.list(ContactFolder.of(ALICE), "")).isEmpty();
        assertThat(graph.requests().get(1).path()).isEqualTo("/v1.0/users/alice@example.com/contactFolders/AAMkWorkFolder=/contacts");
    }

    @Test
    void deltaRoundsReportChangesAndRemovals() throws Exception {
        GraphClient client = client();
        ContactFolder folder = ContactFolder.of(ALICE);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            ids.add(graph.seed(ALICE, contact("D" + i)));
        }
        DeltaPage first = client.delta(folder, Optional.empty(), "");
        assertThat(first.changed()).hasSize(15); // two pages of 7 and one of 1
        assertThat(first.removed()).isEmpty();
        assertThat(first.deltaLink()).contains("$deltatoken=");

        DeltaPage quiet = client.delta(folder, Optional.of(first.deltaLink()), "");
        assertThat(quiet.changed()).isEmpty();
        assertThat(quiet.removed()).isEmpty();

        graph.edit(ALICE, ids.get(3), JSON.createObjectNode().put("surname", "Edited"));
        graph.remove(ALICE, ids.get(4));
        String added = graph.seed(ALICE, contact("New"));
        DeltaPage next = client.delta(folder, Optional.of(quiet.deltaLink()), "");
        assertThat(next.changed()).extracting(c -> c.get("id").asText()).containsExactlyInAnyOrder(ids.get(3), added);
        assertThat(next.removed()).containsExactly(ids.get(4));
    }

    @Test
    void throttledRequestsWaitForRetryAfter() throws Exception {
        GraphClient client = client();
        client.list(ContactFolder.of(ALICE), ""); // token fetched
        graph.throttleNext(2, 1);
        long before = graph.requests().size();
        client.create(ContactFolder.of(ALICE), contact("Throttled"), Optional::empty);
        List<GraphStandIn.Request> seen = graph.requests().subList((int) before, graph.requests().size());
        assertThat(seen).extracting(GraphStandIn.Request::status).containsExactly(429, 429, 201);
        // the stand-in's own clock: each retry came at least Retry-After (1 s) after the 429
        assertThat(seen.get(1).nanoTime() - seen.get(0).nanoTime()).isGreaterThanOrEqualTo(1_000_000_000L);
        assertThat(seen.get(2).nanoTime() - seen.get(1).nanoTime()).isGreaterThanOrEqualTo(1_000_000_000L);
    }

    @Test
    void photosAreReadAndReplacedAndAbsentOnesAreEmpty() throws Exception {
        GraphClient client = client();
        ContactFolder folder = ContactFolder.of(ALICE);
        String id = client.create(folder, contact("Photogenic"), Optional::empty).get("id").asText();
        assertThat(client.photo(folder, id)).isEmpty(); // Graph's 404 ErrorItemNotFound: no photo

        byte[] face = Jpegs.photo(11);
        graph.setPhoto(ALICE, id, face);
        graph.throttleNext(1, 0);
        ContactPhoto read = client.photo(folder, id).orElseThrow();
        assertThat(read.bytes()).isEqualTo(face);
        assertThat(read.contentType()).isEqualTo("image/jpeg");
        assertThat(graph.requests()).extracting(GraphStandIn.Request::status).endsWith(429, 200);

        byte[] other = Jpegs.photo(12);
        String etag = client.get(folder, id, "").path("@odata.etag").asText();
        client.putPhoto(folder, id, new ContactPhoto(other, "image/jpeg"));
        assertThat(client.photo(folder, id).orElseThrow().bytes()).isEqualTo(other);
        // a new photo is a change of the contact (Exchange keeps it as the contact's attachment)
        assertThat(client.get(folder, id, "").path("@odata.etag").asText()).isNotEqualTo(etag);

        ContactFolder work = new ContactFolder(ALICE, "AAMkWorkFolder=");
        String inFolder = client.create(work, contact("Foldered"), Optional::empty).get("id").asText();
        client.putPhoto(work, inFolder, new ContactPhoto(face, "image/jpeg"));
        assertThat(client.photo(work, inFolder).orElseThrow().bytes()).isEqualTo(face);
        assertThat(graph.requests().get(graph.requests().size() - 1).path())
                .isEqualTo("/v1.0/users/alice@example.com/contactFolders/AAMkWorkFolder=/contacts/" + inFolder + "/photo/$value");
    }

    @Test
    void aPhotoAnswerThatIsNotAnImageOrNotGraphsNoPhotoIsAnError() throws Exception {
        GraphClient client = client();
        ContactFolder folder = ContactFolder.of(ALICE);
        String id = client.create(folder, contact("Framed"), Optional::empty).get("id").asText();
        graph.respondRawNext(200, "<html><body>Sign in to continue</body></html>");
        assertThatThrownBy(() -> client.photo(folder, id))
                .isInstanceOf(GraphException.class)
                .hasMessageContaining("GET users/alice@example.com/contacts/" + id + "/photo/$value: 200 unexpected response:"
                        + " expected an image, got Content-Type 'application/json");
        graph.failNext(404, "ResourceNotFound", "Resource could not be discovered.");
        assertThatThrownBy(() -> client.photo(folder, id))
                .isInstanceOf(GraphException.class)
                .hasMessageContaining("404 ResourceNotFound");
        graph.throttleNext(5, 0);
        GraphSettings s = settings();
        s.setMaxAttempts(3);
        assertThatThrownBy(() -> GraphClient.open(s, JSON).photo(folder, id))
                .isInstanceOf(GraphException.class)
                .hasMessageContaining("429 TooManyRequests")
                .hasMessageContaining("after 3 attempts");
    }

    @Test
    void throttlingThatDoesNotStopFailsWithGraphsError() {
        GraphSettings s = settings();
        s.setMaxAttempts(3);
        GraphClient client = GraphClient.open(s, JSON);
        graph.throttleNext(3, 0);
        assertThatThrownBy(() -> client.list(ContactFolder.of(ALICE), ""))
                .isInstanceOf(GraphException.class)
                .hasMessageContaining("GET users/alice@example.com/contacts?$top=7")
                .hasMessageContaining("429 TooManyRequests")
                .hasMessageContaining("after 3 attempts");
    }

    @Test
    void serviceUnavailableIsRetriedWithBackoff() throws Exception {
        graph.failNext(503, "ServiceNotAvailable", "The service is temporarily unavailable.");
        assertThat(client().list(ContactFolder.of(ALICE), "")).isEmpty();
        assertThat(graph.requests()).extracting(GraphStandIn.Request::status).endsWith(503, 200);
    }

    @Test
    void tokensAreRefreshedBeforeTheyExpire() throws Exception {
        graph.tokenLifetime(2);
        GraphClient client = client();
        client.list(ContactFolder.of(ALICE), "");
        assertThat(graph.tokensIssued()).isEqualTo(1);
        client.list(ContactFolder.of(ALICE), "");
        assertThat(graph.tokensIssued()).isEqualTo(1); // cached
        Thread.sleep(2100);
        client.list(ContactFolder.of(ALICE), "");
        assertThat(graph.tokensIssued()).isEqualTo(2);
        // never a request with an expired token
        assertThat(graph.requests()).extracting(GraphStandIn.Request::status).doesNotContain(401);
    }

    @Test
    void aWrongSecretNamesTheTokenEndpointAndTheError() {
        GraphSettings s = settings();
        s.setClientSecret("wrong");
        assertThatThrownBy(() -> GraphClient.open(s, JSON).list(ContactFolder.of(ALICE), ""))
                .isInstanceOf(GraphException.class)
                .hasMessageContaining("POST " + graph.tokenUrl())
                .hasMessageContaining("401 invalid_client")
                .hasMessageContaining("AADSTS7000215");
    }

    @Test
    void errorBodiesAndUnexpectedResponsesNameTheRequest() throws Exception {
        GraphClient client = client();
        graph.failNext(400, "ErrorInvalidProperty", "The property 'fooBar' does not exist.");
        assertThatThrownBy(() -> client.create(ContactFolder.of(ALICE), contact("X"), Optional::empty))
                .isInstanceOf(GraphException.class)
                .hasMessage("POST users/alice@example.com/contacts: 400 ErrorInvalidProperty: The property 'fooBar' does not exist.");
        graph.respondRawNext(200, "<html>captive portal</html>");
        assertThatThrownBy(() -> client.list(ContactFolder.of(ALICE), ""))
                .isInstanceOf(GraphException.class)
                .hasMessageContaining("GET users/alice@example.com/contacts?$top=7: 200 unexpected response: not JSON: <html>");
        graph.respondRawNext(200, "{\"value\": 3}");
        assertThatThrownBy(() -> client.list(ContactFolder.of(ALICE), ""))
                .hasMessageContaining("no \"value\" array");
    }

    @Test
    void aMissingTokenGetsGraphsDocumented401() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var response = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(graph.baseUrl() + "/users/" + ALICE + "/contacts")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(response.body()).path("error").path("code").asText()).isEqualTo("InvalidAuthenticationToken");
    }
}
