package dev.veil.gateway.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * OAuth2 client-credentials access tokens for Graph from the tenant's token endpoint (scope
 * {@code https://graph.microsoft.com/.default}). One token is cached and replaced before it expires: when less than
 * a tenth of its lifetime (at most 5 minutes) is left, so a request never leaves with a token that expires on the way.
 */
public final class ClientCredentialsTokens {
    public static final String SCOPE = "https://graph.microsoft.com/.default";
    private static final Duration MAX_MARGIN = Duration.ofMinutes(5);

    private final HttpClient http;
    private final ObjectMapper json;
    private final String tokenUrl;
    private final String clientId;
    private final String clientSecret;
    private final Duration timeout;
    private final Clock clock;
    private Token current;

    private record Token(String value, Instant refreshAt) {
    }

    public ClientCredentialsTokens(HttpClient http, ObjectMapper json, String tokenUrl, String clientId,
                                   String clientSecret, Duration timeout, Clock clock) {
        this.http = http;
        this.json = json;
        this.tokenUrl = tokenUrl;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.timeout = timeout;
        this.clock = clock;
    }

    /** A token that is valid for a while yet; fetches a new one when the cached one is close to expiry. */
    public synchronized String token() throws IOException {
        if (current == null || !clock.instant().isBefore(current.refreshAt())) {
            current = fetch();
        }
        return current.value();
    }

    /** Graph refused this token (revoked, or the clocks disagree): the next {@link #token()} fetches a new one. */
    public synchronized void invalidate(String token) {
        if (current != null && current.value().equals(token)) {
            current = null;
        }
    }

    private Token fetch() throws IOException {
        String form = "grant_type=client_credentials&client_id=" + enc(clientId) + "&client_secret=" + enc(clientSecret)
                + "&scope=" + enc(SCOPE);
        HttpRequest request = HttpRequest.newBuilder(URI.create(tokenUrl)).timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build();
        Instant asked = clock.instant();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching a Graph token from " + tokenUrl, e);
        } catch (IOException e) {
            throw new GraphException("POST", tokenUrl, 0, "connection failed", String.valueOf(e.getMessage()));
        }
        JsonNode body;
        try {
            body = json.readTree(response.body());
        } catch (IOException e) {
            body = null;
        }
        if (response.statusCode() != 200 || body == null || !body.path("access_token").isTextual()) {
            String code = body == null ? "not JSON" : body.path("error").asText("no access_token");
            String message = body == null ? abbreviate(response.body()) : body.path("error_description").asText("");
            throw new GraphException("POST", tokenUrl, response.statusCode(), code,
                    message + " (check graph.tenantId, graph.clientId and the client secret)");
        }
        long lifetime = Math.max(1, body.path("expires_in").asLong(3599));
        Duration margin = Duration.ofMillis(Math.min(MAX_MARGIN.toMillis(), lifetime * 100));
        return new Token(body.path("access_token").asText(), asked.plusSeconds(lifetime).minus(margin));
    }

    private static String enc(String v) {
        return URLEncoder.encode(v, StandardCharsets.UTF_8);
    }

    static String abbreviate(String s) {
        String flat = s == null ? "" : s.replaceAll("\\s+", " ").strip();
        return flat.length() > 200 ? flat.substring(0, 200) + "…" : flat;
    }
}
