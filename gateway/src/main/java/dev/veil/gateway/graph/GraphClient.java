package dev.veil.gateway.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Microsoft Graph's contacts API ({@code /users/{id}/contacts}, {@code /users/{id}/contactFolders/{id}/contacts}):
 * list (following {@code @odata.nextLink}), get, create, update (PATCH), delete, delta rounds, and a contact's photo
 * ({@code .../photo/$value}: read, replace). Throttled requests
 * ({@code 429}, {@code 503}, {@code 504}) and failed connections are retried after Graph's {@code Retry-After} or an
 * exponential back-off with jitter, at most {@code graph.maxAttempts} times; a {@code 401} fetches a new token once.
 * Anything else that is not a success is a {@link GraphException} naming the request and Graph's error.
 */
public final class GraphClient {
    private static final Logger LOG = LoggerFactory.getLogger(GraphClient.class);

    /** Sleeps between attempts (a seam for tests that count the waits). */
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final HttpClient http;
    private final ObjectMapper json;
    private final ClientCredentialsTokens tokens;
    private final String baseUrl;
    private final int maxAttempts;
    private final Backoff backoff;
    private final Duration timeout;
    private final int pageSize;
    private final Sleeper sleeper;

    public GraphClient(HttpClient http, ObjectMapper json, ClientCredentialsTokens tokens, String baseUrl,
                       int maxAttempts, Backoff backoff, Duration timeout, int pageSize, Sleeper sleeper) {
        this.http = http;
        this.json = json;
        this.tokens = tokens;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.maxAttempts = maxAttempts;
        this.backoff = backoff;
        this.timeout = timeout;
        this.pageSize = pageSize;
        this.sleeper = sleeper;
    }

    /** A client for {@code graph.*}; fails with a message naming the missing setting. */
    public static GraphClient open(GraphSettings settings, ObjectMapper json) {
        settings.requireClient();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        Duration timeout = settings.getRequestTimeout().toJavaDuration();
        ClientCredentialsTokens tokens = new ClientCredentialsTokens(http, json, settings.effectiveTokenUrl(),
                settings.getClientId(), settings.effectiveClientSecret(), timeout, Clock.systemUTC());
        return new GraphClient(http, json, tokens, settings.getBaseUrl(), settings.getMaxAttempts(),
                new Backoff(settings.getInitialBackoff().toJavaDuration(), settings.getMaxBackoff().toJavaDuration()),
                timeout, settings.getPageSize(), d -> Thread.sleep(d.toMillis()));
    }

    /** Every contact of the folder, page by page ({@code $top}, then {@code @odata.nextLink}); {@code query} may be empty. */
    public List<ObjectNode> list(ContactFolder folder, String query) throws IOException {
        List<ObjectNode> all = new ArrayList<>();
        list(folder, query, all::add);
        return all;
    }

    /** Streams every contact of the folder to {@code each}, one page in memory at a time. */
    public void list(ContactFolder folder, String query, Consumer<ObjectNode> each) throws IOException {
        String next = folder.path() + "?$top=" + pageSize + (query.isEmpty() ? "" : "&" + query);
        while (next != null) {
            JsonNode page = send("GET", next, null, false);
            for (JsonNode contact : values(page, "GET", next)) {
                each.accept((ObjectNode) contact);
            }
            next = page.path("@odata.nextLink").isTextual() ? page.get("@odata.nextLink").asText() : null;
        }
    }

    public ObjectNode get(ContactFolder folder, String id, String query) throws IOException {
        return object("GET", folder.contact(id) + (query.isEmpty() ? "" : "?" + query), null);
    }

    /** Finds the contact that a create whose answer was lost may have stored (by the vault id it carries). */
    public interface LostCreateLookup {
        Optional<ObjectNode> find() throws IOException;
    }

    /**
     * Creates a contact; returns it as Graph stored it (with its id and changeKey). A create is not idempotent: when
     * the request may have reached Graph but its answer was lost (a timeout or a connection dropped after sending, a
     * {@code 504}), it is not sent again blindly — {@code lookup} asks Graph whether the contact is there, and only
     * if it is not is the create repeated. Failures where nothing was sent ({@code 429}, {@code 503}, no
     * connection) are retried as usual.
     */
    public ObjectNode create(ContactFolder folder, ObjectNode contact, LostCreateLookup lookup) throws IOException {
        byte[] bytes = json.writeValueAsBytes(contact);
        String path = folder.path();
        for (int round = 1; ; round++) {
            try {
                HttpResponse<byte[]> response = request("POST", path, bytes, "application/json", "application/json",
                        null, false, false);
                return contact("POST", path, parse("POST", path, response));
            } catch (AnswerLostException lost) {
                Optional<ObjectNode> stored = lookup.find();
                if (stored.isPresent()) {
                    LOG.info("POST {}: the answer was lost ({}) but Graph stored the contact as {}; not sent again",
                            display(path), lost.getMessage(), stored.get().path("id").asText());
                    return stored.get();
                }
                if (round >= maxAttempts) {
                    throw new GraphException("POST", display(path), lost.status(), "answer lost",
                            lost.graphMessage() + "; Graph does not have the contact (after " + round + " attempts)");
                }
                pause("POST", display(path), round, Optional.empty(), "answer lost, and Graph does not have the contact");
            }
        }
    }

    /** A request may have reached Graph but no answer came back: repeating it could do it twice. */
    static final class AnswerLostException extends GraphException {
        AnswerLostException(String method, String path, int status, String why) {
            super(method, path, status, "answer lost", why);
        }
    }

    /** Updates the fields present in {@code changes} (null clears a field); returns the contact as Graph stored it. */
    public ObjectNode update(ContactFolder folder, String id, ObjectNode changes) throws IOException {
        return object("PATCH", folder.contact(id), changes, null);
    }

    /**
     * As {@link #update(ContactFolder, String, ObjectNode)}, only if the contact is still the version Veil read:
     * {@code etag} is its {@code @odata.etag}, sent as {@code If-Match}. Graph answers {@code 412} when someone
     * changed it meanwhile (see {@link GraphException#changedMeanwhile()}); a blank etag updates unconditionally.
     */
    public ObjectNode update(ContactFolder folder, String id, ObjectNode changes, String etag) throws IOException {
        return object("PATCH", folder.contact(id), changes, etag == null || etag.isBlank() ? null : etag);
    }

    public void delete(ContactFolder folder, String id) throws IOException {
        send("DELETE", folder.contact(id), null, true);
    }

    /**
     * The contact's photo ({@code GET .../photo/$value}), or empty when it has none (Graph answers {@code 404
     * ErrorItemNotFound}). Anything that is not an image is an error, never a photo: a proxy's HTML page must not be
     * vaulted as somebody's face, nor taken for "no photo".
     */
    public Optional<ContactPhoto> photo(ContactFolder folder, String id) throws IOException {
        String path = folder.contact(id) + "/photo/$value";
        HttpResponse<byte[]> response = request("GET", path, null, null, "image/*", null, true);
        String text = response.statusCode() == 404 ? new String(response.body(), StandardCharsets.UTF_8) : "";
        if (response.statusCode() == 404) {
            String code = errorCode(text);
            // ErrorItemNotFound is Graph's answer for an Outlook contact without a photo; ImageNotFound its answer
            // for users and groups, accepted in case a tenant answers contacts the same way
            if ("ErrorItemNotFound".equals(code) || "ImageNotFound".equals(code)) {
                return Optional.empty();
            }
            throw error("GET", display(path), 404, text, 1);
        }
        String type = response.headers().firstValue("Content-Type").orElse("");
        if (!type.strip().toLowerCase(java.util.Locale.ROOT).startsWith("image/") || response.body().length == 0) {
            throw new GraphException("GET", display(path), response.statusCode(), "unexpected response",
                    "expected an image, got " + (response.body().length == 0 ? "no bytes" : "Content-Type '" + type
                    + "': " + ClientCredentialsTokens.abbreviate(new String(response.body(), StandardCharsets.UTF_8))));
        }
        return Optional.of(new ContactPhoto(response.body(), type));
    }

    /** Sets (replaces) the contact's photo ({@code PUT .../photo/$value}); Graph has no DELETE for contact photos. */
    public void putPhoto(ContactFolder folder, String id, ContactPhoto photo) throws IOException {
        request("PUT", folder.contact(id) + "/photo/$value", photo.bytes(), photo.contentType(), "application/json",
                null, false);
    }

    /**
     * One delta round: from {@code deltaLink} (the previous round's), or from the start when empty, following
     * {@code @odata.nextLink} pages until Graph gives the next {@code @odata.deltaLink}.
     */
    public DeltaPage delta(ContactFolder folder, Optional<String> deltaLink, String query) throws IOException {
        String next = deltaLink.orElse(folder.path() + "/delta" + (query.isEmpty() ? "" : "?" + query));
        List<ObjectNode> changed = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        while (true) {
            JsonNode page = send("GET", next, null, false);
            for (JsonNode item : values(page, "GET", next)) {
                if (item.has("@removed")) {
                    removed.add(item.path("id").asText());
                } else {
                    changed.add((ObjectNode) item);
                }
            }
            if (page.path("@odata.nextLink").isTextual()) {
                next = page.get("@odata.nextLink").asText();
            } else if (page.path("@odata.deltaLink").isTextual()) {
                return new DeltaPage(changed, removed, page.get("@odata.deltaLink").asText());
            } else {
                throw new GraphException("GET", display(next), 200, "unexpected response",
                        "a delta page has neither @odata.nextLink nor @odata.deltaLink");
            }
        }
    }

    /** A query parameter, encoded: {@code query("$expand", "...")}. */
    public static String query(String name, String value) {
        return name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private ObjectNode object(String method, String path, ObjectNode body) throws IOException {
        return object(method, path, body, null);
    }

    private ObjectNode object(String method, String path, ObjectNode body, String ifMatch) throws IOException {
        return contact(method, path, send(method, path, body, false, ifMatch));
    }

    private ObjectNode contact(String method, String path, JsonNode node) throws GraphException {
        if (!(node instanceof ObjectNode object) || !object.path("id").isTextual()) {
            throw new GraphException(method, display(path), 200, "unexpected response",
                    "expected a contact (a JSON object with an id), got " + ClientCredentialsTokens.abbreviate(String.valueOf(node)));
        }
        return object;
    }

    private static Iterable<JsonNode> values(JsonNode page, String method, String path) throws GraphException {
        JsonNode values = page.path("value");
        if (!values.isArray()) {
            throw new GraphException(method, path, 200, "unexpected response", "no \"value\" array in the page");
        }
        for (JsonNode v : values) {
            if (!v.isObject()) {
                throw new GraphException(method, path, 200, "unexpected response", "a \"value\" entry is not an object");
            }
        }
        return values;
    }

    private JsonNode send(String method, String pathOrUrl, ObjectNode body, boolean noContent) throws IOException {
        return send(method, pathOrUrl, body, noContent, null);
    }

    private JsonNode send(String method, String pathOrUrl, ObjectNode body, boolean noContent, String ifMatch)
            throws IOException {
        byte[] bytes = body == null ? null : json.writeValueAsBytes(body);
        HttpResponse<byte[]> response = request(method, pathOrUrl, bytes, "application/json", "application/json",
                ifMatch, false);
        return noContent ? null : parse(method, pathOrUrl, response);
    }

    private JsonNode parse(String method, String pathOrUrl, HttpResponse<byte[]> response) throws GraphException {
        String text = new String(response.body(), StandardCharsets.UTF_8);
        if (response.statusCode() == 204 || text.isBlank()) {
            return null;
        }
        try {
            return json.readTree(text);
        } catch (IOException e) {
            throw new GraphException(method, display(pathOrUrl), response.statusCode(), "unexpected response",
                    "not JSON: " + ClientCredentialsTokens.abbreviate(text));
        }
    }

    /**
     * One request, retried as the class says; returns a success (2xx), or a 404 when {@code notFoundIsAnAnswer}
     * (the caller reads Graph's error code), and throws a {@link GraphException} for anything else.
     */
    private HttpResponse<byte[]> request(String method, String pathOrUrl, byte[] body, String contentType,
                                         String accept, String ifMatch, boolean notFoundIsAnAnswer) throws IOException {
        return request(method, pathOrUrl, body, contentType, accept, ifMatch, notFoundIsAnAnswer, true);
    }

    /**
     * As above; with {@code resendWhenAnswerLost} false, a failure after which Graph may have carried the request
     * out is an {@link AnswerLostException} instead of a retry.
     */
    private HttpResponse<byte[]> request(String method, String pathOrUrl, byte[] body, String contentType,
                                         String accept, String ifMatch, boolean notFoundIsAnAnswer,
                                         boolean resendWhenAnswerLost) throws IOException {
        String url = pathOrUrl.startsWith("http://") || pathOrUrl.startsWith("https://") ? pathOrUrl
                : baseUrl + "/" + pathOrUrl;
        String path = display(pathOrUrl);
        boolean renewedToken = false;
        boolean maybeCarriedOut = false;
        for (int attempt = 1; ; attempt++) {
            String token;
            try {
                token = tokens.token();
            } catch (GraphException e) {
                // the token endpoint is throttled, down or unreachable: as transient as Graph itself
                boolean transientFailure = e.status() == 0 || e.status() == 429 || e.status() >= 500;
                if (!transientFailure || attempt >= maxAttempts) {
                    throw e;
                }
                pause(method, path, attempt, Optional.empty(), "no access token: " + e.getMessage());
                continue;
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                    .header("Authorization", "Bearer " + token)
                    .header("Accept", accept)
                    .header("Prefer", "odata.maxpagesize=" + pageSize);
            if (ifMatch != null) {
                request.header("If-Match", ifMatch);
            }
            if (body != null) {
                request.header("Content-Type", contentType)
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
            } else {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GraphException(method, path, 0, "interrupted", "");
            } catch (IOException e) {
                boolean notSent = e instanceof java.net.ConnectException
                        || e instanceof java.net.http.HttpConnectTimeoutException;
                if (!notSent && !resendWhenAnswerLost) {
                    throw new AnswerLostException(method, path, 0, e.getClass().getSimpleName() + " " + e.getMessage());
                }
                maybeCarriedOut |= !notSent;
                if (attempt >= maxAttempts) {
                    throw new GraphException(method, path, 0, "connection failed",
                            e.getClass().getSimpleName() + " " + e.getMessage() + " (after " + attempt + " attempts)");
                }
                pause(method, path, attempt, Optional.empty(), "connection failed: " + e);
                continue;
            }
            int status = response.statusCode();
            if (status / 100 == 2 || status == 404 && notFoundIsAnAnswer) {
                return response;
            }
            if (status == 404 && maybeCarriedOut && "DELETE".equals(method)) {
                return response; // the delete whose answer was lost did its work
            }
            if (status == 504 && !resendWhenAnswerLost) {
                throw new AnswerLostException(method, path, 504, "504 Gateway Timeout");
            }
            if (status == 401 && !renewedToken) {
                renewedToken = true;
                tokens.invalidate(token);
                attempt--;
                continue;
            }
            if ((status == 429 || status == 503 || status == 504) && attempt < maxAttempts) {
                maybeCarriedOut |= status == 504;
                pause(method, path, attempt, response.headers().firstValue("Retry-After"), "" + status);
                continue;
            }
            throw error(method, path, status, new String(response.body(), StandardCharsets.UTF_8), attempt);
        }
    }

    private void pause(String method, String path, int attempt, Optional<String> retryAfter, String why)
            throws GraphException {
        Duration wait = backoff.delay(attempt, retryAfter);
        LOG.info("{} {}: {}; retrying in {} ms (attempt {} of {})", method, path, why, wait.toMillis(), attempt + 1,
                maxAttempts);
        try {
            sleeper.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GraphException(method, path, 0, "interrupted", "while waiting to retry");
        }
    }

    /** Graph's {@code error.code} in an error body, or null. */
    private String errorCode(String body) {
        try {
            JsonNode code = json.readTree(body).path("error").path("code");
            return code.isTextual() ? code.asText() : null;
        } catch (IOException | RuntimeException notJson) {
            return null;
        }
    }

    private GraphException error(String method, String path, int status, String body, int attempts) {
        String code = "HTTP " + status;
        String message = ClientCredentialsTokens.abbreviate(body);
        try {
            JsonNode error = json.readTree(body).path("error");
            if (error.isObject()) {
                code = error.path("code").asText(code);
                message = error.path("message").asText("");
            }
        } catch (IOException | RuntimeException notJson) {
            // keep the raw (abbreviated) body as the message
        }
        if (attempts > 1) {
            message = message + " (after " + attempts + " attempts)";
        }
        return new GraphException(method, path, status, code, message);
    }

    /** The request as a person reads it: relative to {@code graph.baseUrl}, without the access token or secrets. */
    private String display(String pathOrUrl) {
        return pathOrUrl.startsWith(baseUrl + "/") ? pathOrUrl.substring(baseUrl.length() + 1) : pathOrUrl;
    }
}
