package dev.veil.gateway.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A create whose answer is lost must not be sent twice when Graph already stored it (a duplicate contact in the
 * user's address book), and must be sent again when Graph did not. A tiny local Graph that stores and then answers
 * too late (the client's timeout fires) or with a 504 plays the lost answers; the token endpoint fails transiently.
 */
class GraphClientLostAnswerTest {
    /**
     * The client's timeout, which a stalled answer overruns. Long enough that an answer that is not stalled never does:
     * at 400 ms, one did on a loaded 2-core CI machine, and the test saw a second retry it had not played.
     */
    private static final Duration TIMEOUT = Duration.ofMillis(1500);
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, ObjectNode> stored = new LinkedHashMap<>();
    /** What the next requests do, in order: "ok", "store-then-stall", "stall", "store-then-504". */
    private final Deque<String> behaviours = new ArrayDeque<>();
    private final Deque<Integer> tokenFailures = new ArrayDeque<>();
    private final List<String> requests = new ArrayList<>();
    private final List<Duration> waits = new ArrayList<>();
    private HttpServer server;
    private ExecutorService executor;
    private GraphClient client;
    private int nextId;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.createContext("/token", this::token);
        server.createContext("/v1.0/", this::graph);
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        HttpClient http = HttpClient.newHttpClient();
        ClientCredentialsTokens tokens = new ClientCredentialsTokens(http, json, base + "/token", "client", "secret",
                TIMEOUT, Clock.systemUTC());
        client = new GraphClient(http, json, tokens, base + "/v1.0", 4,
                new Backoff(Duration.ofMillis(1), Duration.ofMillis(2)), TIMEOUT, 50, waits::add);
    }

    @AfterEach
    void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    @Test
    void aCreateStoredButUnansweredIsFoundNotSentAgain() throws IOException {
        behaviours.add("store-then-stall");
        ObjectNode created = client.create(FOLDER, contact("Ada"), this::findAda);
        assertThat(created.path("givenName").asText()).isEqualTo("Ada");
        assertThat(stored).hasSize(1);
        assertThat(posts()).isEqualTo(1);
    }

    @Test
    void aCreateAnswered504AfterStoringIsFoundNotSentAgain() throws IOException {
        behaviours.add("store-then-504");
        client.create(FOLDER, contact("Ada"), this::findAda);
        assertThat(stored).hasSize(1);
        assertThat(posts()).isEqualTo(1);
    }

    @Test
    void aCreateLostBeforeGraphStoredItIsSentAgainOnce() throws IOException {
        behaviours.add("stall");
        ObjectNode created = client.create(FOLDER, contact("Ada"), this::findAda);
        assertThat(stored).containsOnlyKeys(created.path("id").asText());
        assertThat(posts()).isEqualTo(2);
        assertThat(waits).hasSize(1);
    }

    @Test
    void aCreateThatKeepsLosingItsAnswerFailsNamingIt() {
        for (int i = 0; i < 4; i++) {
            behaviours.add("stall");
        }
        assertThatThrownBy(() -> client.create(FOLDER, contact("Ada"), this::findAda))
                .isInstanceOf(GraphException.class)
                .hasMessageContaining("POST users/ada@example.com/contacts")
                .hasMessageContaining("answer lost")
                .hasMessageContaining("after 4 attempts");
        assertThat(stored).isEmpty();
        assertThat(posts()).isEqualTo(4);
    }

    @Test
    void aDeleteWhoseAnswerWasLostIsDoneWhenTheRetryFindsNothing() throws IOException {
        ObjectNode created = client.create(FOLDER, contact("Ada"), this::findAda);
        behaviours.add("delete-then-stall");
        client.delete(FOLDER, created.path("id").asText());
        assertThat(stored).isEmpty();
    }

    @Test
    void aThrottledOrFailingTokenEndpointIsRetried() throws IOException {
        tokenFailures.add(503);
        tokenFailures.add(429);
        client.create(FOLDER, contact("Ada"), this::findAda);
        assertThat(stored).hasSize(1);
        assertThat(waits).hasSize(2);
    }

    @Test
    void aRefusedClientIsNotRetried() {
        tokenFailures.add(401);
        assertThatThrownBy(() -> client.create(FOLDER, contact("Ada"), this::findAda))
                .isInstanceOf(GraphException.class).hasMessageContaining("401");
        assertThat(waits).isEmpty();
        assertThat(posts()).isZero();
    }

    private static final ContactFolder FOLDER = ContactFolder.of("ada@example.com");

    private Optional<ObjectNode> findAda() throws IOException {
        return client.list(FOLDER, "").stream().filter(c -> c.path("givenName").asText().equals("Ada")).findFirst();
    }

    private ObjectNode contact(String name) {
        return json.createObjectNode().put("givenName", name);
    }

    private synchronized long posts() {
        return requests.stream().filter(r -> r.startsWith("POST ")).count();
    }

    private void token(HttpExchange exchange) throws IOException {
        Integer failure;
        synchronized (this) {
            failure = tokenFailures.poll();
        }
        if (failure != null) {
            respond(exchange, failure, "{\"error\":\"temporarily_unavailable\",\"error_description\":\"try later\"}");
        } else {
            respond(exchange, 200, "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
        }
    }

    private void graph(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        byte[] body = exchange.getRequestBody().readAllBytes();
        String behaviour;
        synchronized (this) {
            requests.add(method + " " + path);
            behaviour = method.equals("GET") ? "ok" : Optional.ofNullable(behaviours.poll()).orElse("ok");
        }
        if (behaviour.equals("stall")) {
            stall(exchange);
            return;
        }
        String answer;
        int status;
        synchronized (this) {
            if (method.equals("POST")) {
                ObjectNode contact = (ObjectNode) json.readTree(body);
                contact.put("id", "id" + (++nextId));
                stored.put(contact.path("id").asText(), contact);
                status = 201;
                answer = contact.toString();
            } else if (method.equals("DELETE")) {
                String id = path.substring(path.lastIndexOf('/') + 1);
                status = stored.remove(id) == null ? 404 : 204;
                answer = status == 404 ? "{\"error\":{\"code\":\"ErrorItemNotFound\",\"message\":\"The specified"
                        + " object was not found in the store.\"}}" : "";
            } else {
                status = 200;
                answer = "{\"value\":" + json.valueToTree(new ArrayList<>(stored.values())) + "}";
            }
        }
        switch (behaviour) {
            case "store-then-stall", "delete-then-stall" -> stall(exchange);
            case "store-then-504" -> respond(exchange, 504, "<html>Gateway Timeout</html>");
            default -> respond(exchange, status, answer);
        }
    }

    /** Answers only after the client has given up waiting. */
    private static void stall(HttpExchange exchange) {
        try {
            Thread.sleep(TIMEOUT.toMillis() * 3);
            respond(exchange, 500, "{}");
        } catch (InterruptedException | IOException gone) {
            exchange.close();
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
        exchange.close();
    }
}
