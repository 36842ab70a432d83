package dev.veil.tests.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * A Microsoft Graph stand-in for the contacts API and the Microsoft Entra token endpoint, written from Graph's
 * documentation (not from Veil's client): {@code POST /{tenant}/oauth2/v2.0/token} (client credentials, checks the
 * secret, answers {@code expires_in}), bearer-token checks ({@code 401 InvalidAuthenticationToken}), contacts CRUD on
 * {@code /v1.0/users/{id}/contacts} and {@code /v1.0/users/{id}/contactFolders/{id}/contacts} with server-assigned
 * ids, changeKeys, {@code @odata.etag} and timestamps, {@code $top}/{@code $skip} paging with {@code @odata.nextLink},
 * delta rounds with {@code @odata.nextLink}/{@code @odata.deltaLink} and {@code @removed} entries, single-value extended
 * properties returned only when {@code $expand}ed, contact photos ({@code GET}/{@code PUT .../photo/$value}: binary,
 * {@code 404 ErrorItemNotFound} when the contact has none; {@code GET .../photo}: its metadata; no {@code DELETE}, which
 * Graph does not support for Outlook contacts; setting a photo changes the contact, so it gets a new changeKey and
 * appears in the next delta round, as the contact's photo attachment does in Exchange), injectable throttling
 * ({@code 429} with {@code Retry-After}) and faults, and Graph's documented error bodies.
 *
 * <p>Every contact is kept as the raw JSON text it stores and serves ({@link #storedJson()}), so a test can search what
 * "Exchange" holds with plain string search.
 */
public final class GraphStandIn implements AutoCloseable, org.junit.jupiter.api.extension.AfterEachCallback {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A request as the stand-in saw it. */
    public record Request(String method, String path, String query, long nanoTime, int status) {
    }

    private record Stored(String json, long seq) {
    }

    /** A contact's photo as Exchange keeps it: the bytes and the Content-Type they were set with. */
    public record Photo(byte[] bytes, String contentType) {
    }

    private static final class Folder {
        final Map<String, Stored> contacts = new LinkedHashMap<>();
        final Map<String, Photo> photos = new LinkedHashMap<>();
        final Map<String, Long> removed = new LinkedHashMap<>();
        long seq;
    }

    private record Fault(int status, String code, String message, String rawBody, int retryAfter) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(8);
    private final String tenant;
    private final String clientId;
    private final String clientSecret;
    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private final Map<String, Folder> folders = new LinkedHashMap<>();
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> patches = new ConcurrentHashMap<>();
    private volatile long tokenLifetimeSeconds = 3599;
    private volatile int tokensIssued;
    private volatile Consumer<Request> beforeEach = r -> { };

    public GraphStandIn(String tenant, String clientId, String clientSecret) {
        this.tenant = tenant;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public GraphStandIn() {
        this("veil-test-tenant", "veil-test-client", "s3cret-for-tests");
    }

    public String baseUrl() {
        return baseUrl("v1.0");
    }

    /**
     * {@code v1.0} or {@code beta}: the stand-in answers both alike (it stores whatever fields a contact has), except
     * that a create or update Graph would refuse is refused with 400 ({@link GraphContactRules}).
     */
    public String baseUrl(String version) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + version;
    }

    public String tokenUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + tenant + "/oauth2/v2.0/token";
    }

    public String tenant() { return tenant; }
    public String clientId() { return clientId; }
    public String clientSecret() { return clientSecret; }

    /** {@code -Ddw.}-style settings that point Veil at this stand-in. */
    public Map<String, String> settings() {
        return settings("v1.0");
    }

    /** {@link #settings()} for Graph's {@code v1.0} or {@code beta} endpoint (Veil maps contacts by the version's fields). */
    public Map<String, String> settings(String version) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("graph.baseUrl", baseUrl(version));
        s.put("graph.tokenUrl", tokenUrl());
        s.put("graph.tenantId", tenant);
        s.put("graph.clientId", clientId);
        s.put("graph.clientSecret", clientSecret);
        return s;
    }

    public void tokenLifetime(long seconds) {
        tokenLifetimeSeconds = seconds;
    }

    public int tokensIssued() {
        return tokensIssued;
    }

    /** The next {@code n} Graph requests get {@code 429 TooManyRequests} with {@code Retry-After: seconds}. */
    public synchronized void throttleNext(int n, int retryAfterSeconds) {
        for (int i = 0; i < n; i++) {
            faults.add(new Fault(429, "TooManyRequests", "Application is over its MailboxConcurrency limit.", null,
                    retryAfterSeconds));
        }
    }

    /** The next Graph request fails with this status and Graph error (no Retry-After). */
    public synchronized void failNext(int status, String code, String message) {
        faults.add(new Fault(status, code, message, null, -1));
    }

    /** The next Graph request gets this body as it is (an unexpected response). */
    public synchronized void respondRawNext(int status, String body) {
        faults.add(new Fault(status, null, null, body, -1));
    }

    /** Called before each Graph request is handled (tests kill the client from here at a chosen request). */
    public void beforeEach(Consumer<Request> hook) {
        beforeEach = hook;
    }

    /**
     * Every request so far in order of arrival. A client can read an answer before the stand-in has noted its status
     * (status 0 until then), so this waits up to 2 s for requests still being answered.
     */
    public List<Request> requests() {
        long deadline = System.nanoTime() + 2_000_000_000L;
        List<Request> seen = List.copyOf(requests);
        while (seen.stream().anyMatch(r -> r.status() == 0) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            seen = List.copyOf(requests);
        }
        return seen;
    }

    /** How many PATCHes each contact id received. */
    public Map<String, Integer> patchCounts() {
        return Map.copyOf(patches);
    }

    /** Every stored contact of every mailbox and folder, as the raw JSON text the stand-in holds. */
    public synchronized List<String> storedJson() {
        List<String> all = new ArrayList<>();
        folders.values().forEach(f -> f.contacts.values().forEach(s -> all.add(s.json())));
        return all;
    }

    /** Every stored photo of every mailbox and folder, as the bytes the stand-in holds. */
    public synchronized List<byte[]> storedPhotos() {
        List<byte[]> all = new ArrayList<>();
        folders.values().forEach(f -> f.photos.values().forEach(p -> all.add(p.bytes().clone())));
        return all;
    }

    /** The photo of a contact in a mailbox's default folder, or null when it has none. */
    public synchronized Photo photo(String mailbox, String id) {
        return folder(mailbox, "").photos.get(id);
    }

    /** Sets a contact's photo as if a user had set it in Outlook (the contact changes, as in Exchange). */
    public synchronized void setPhoto(String mailbox, String id, byte[] jpeg) {
        Folder f = folder(mailbox, "");
        f.photos.put(id, new Photo(jpeg.clone(), "image/jpeg"));
        touch(f, id, parse(f.contacts.get(id).json()));
    }

    /** The stored contacts of a mailbox's default folder (parsed; with extended properties). */
    public synchronized List<ObjectNode> contacts(String mailbox) {
        List<ObjectNode> out = new ArrayList<>();
        Folder f = folders.get(key(mailbox, ""));
        if (f != null) {
            f.contacts.values().forEach(s -> out.add(parse(s.json())));
        }
        return out;
    }

    /** Stores a contact as if a user had made it in Outlook; returns its id. */
    public synchronized String seed(String mailbox, ObjectNode contact) {
        return create(folder(mailbox, ""), contact.deepCopy(), "").get("id").asText();
    }

    /** Changes a stored contact as if a user edited it in Outlook. */
    public synchronized void edit(String mailbox, String id, ObjectNode changes) {
        Folder f = folder(mailbox, "");
        Stored s = f.contacts.get(id);
        ObjectNode c = parse(s.json());
        merge(c, changes);
        touch(f, id, c);
    }

    /** Deletes a stored contact as if a user deleted it in Outlook. */
    public synchronized void remove(String mailbox, String id) {
        Folder f = folder(mailbox, "");
        f.contacts.remove(id);
        f.photos.remove(id);
        f.removed.put(id, ++f.seq);
    }

    /** As a JUnit extension ({@code @RegisterExtension} on a test's field): stopped after each test. */
    @Override
    public void afterEach(org.junit.jupiter.api.extension.ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---------------------------------------------------------------- HTTP

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            String query = exchange.getRequestURI().getRawQuery();
            byte[] body = exchange.getRequestBody().readAllBytes();
            int[] status = {0};
            // the slot is taken on arrival, so requests() lists requests in the order they came: a client's quick
            // retry can otherwise be recorded before the failed request whose answer it followed
            long arrived = System.nanoTime();
            int slot;
            synchronized (requests) {
                slot = requests.size();
                requests.add(new Request(method, path, query, arrived, 0));
            }
            try {
                if (path.endsWith("/oauth2/v2.0/token")) {
                    status[0] = token(exchange, path, new String(body, StandardCharsets.UTF_8));
                    return;
                }
                beforeEach.accept(new Request(method, path, query, System.nanoTime(), 0));
                status[0] = graph(exchange, method, path, query == null ? "" : query, body);
            } finally {
                // -1: no answer (a test hook threw, as a lost connection would)
                requests.set(slot, new Request(method, path, query, arrived, status[0] == 0 ? -1 : status[0]));
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
            throw e;
        }
    }

    private int token(HttpExchange exchange, String path, String form) throws IOException {
        Map<String, String> f = form(form);
        if (!path.equals("/" + tenant + "/oauth2/v2.0/token")) {
            return send(exchange, 400, oauthError("invalid_request", "AADSTS90002: Tenant '" + path.split("/")[1]
                    + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct"
                    + " cloud.", 90002));
        }
        if (!"client_credentials".equals(f.get("grant_type"))) {
            return send(exchange, 400, oauthError("unsupported_grant_type",
                    "AADSTS70003: The app requested an unsupported grant type.", 70003));
        }
        if (!clientId.equals(f.get("client_id"))) {
            return send(exchange, 400, oauthError("unauthorized_client", "AADSTS700016: Application with identifier '"
                    + f.get("client_id") + "' was not found in the directory.", 700016));
        }
        if (!clientSecret.equals(f.get("client_secret"))) {
            return send(exchange, 401, oauthError("invalid_client", "AADSTS7000215: Invalid client secret provided."
                    + " Ensure the secret being sent in the request is the client secret value, not the client secret"
                    + " ID, for a secret added to app '" + clientId + "'.", 7000215));
        }
        if (!"https://graph.microsoft.com/.default".equals(f.get("scope"))) {
            return send(exchange, 400, oauthError("invalid_scope", "AADSTS1002012: The provided value for scope "
                    + f.get("scope") + " is not valid. Client credential flows must have a scope value with /.default"
                    + " suffixed to the resource identifier (application ID URI).", 1002012));
        }
        byte[] raw = new byte[24];
        RANDOM.nextBytes(raw);
        String token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        long lifetime = tokenLifetimeSeconds;
        tokens.put(token, Instant.now().plusSeconds(lifetime));
        tokensIssued++;
        ObjectNode r = JSON.createObjectNode();
        r.put("token_type", "Bearer");
        r.put("expires_in", lifetime);
        r.put("ext_expires_in", lifetime);
        r.put("access_token", token);
        return send(exchange, 200, r.toString());
    }

    private int graph(HttpExchange exchange, String method, String path, String query, byte[] body) throws IOException {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ")) {
            return send(exchange, 401, graphError("InvalidAuthenticationToken", "Access token is empty."));
        }
        Instant expiry = tokens.get(auth.substring(7));
        if (expiry == null) {
            return send(exchange, 401, graphError("InvalidAuthenticationToken", "IDX14100: JWT is not well formed."));
        }
        if (!Instant.now().isBefore(expiry)) {
            return send(exchange, 401, graphError("InvalidAuthenticationToken",
                    "Lifetime validation failed, the token is expired."));
        }
        Fault fault;
        synchronized (this) {
            fault = faults.poll();
        }
        if (fault != null) {
            if (fault.rawBody() != null) {
                return send(exchange, fault.status(), fault.rawBody());
            }
            if (fault.retryAfter() >= 0) {
                exchange.getResponseHeaders().add("Retry-After", "" + fault.retryAfter());
            }
            return send(exchange, fault.status(), graphError(fault.code(), fault.message()));
        }
        // /v1.0/users/{user}/contacts[/delta|/{id}] or /v1.0/users/{user}/contactFolders/{f}/contacts[/...]
        String[] seg = path.split("/");
        if (seg.length < 5 || !(seg[1].equals("v1.0") || seg[1].equals("beta")) || !seg[2].equals("users")) {
            return send(exchange, 400, graphError("BadRequest", "Resource not found for the segment '"
                    + (seg.length > 1 ? seg[seg.length - 1] : "") + "'."));
        }
        String user = decode(seg[3]);
        String folderId = "";
        int at = 4;
        if (seg[4].equals("contactFolders") && seg.length >= 7) {
            folderId = decode(seg[5]);
            at = 6;
        }
        if (!seg[at].equals("contacts")) {
            return send(exchange, 400, graphError("BadRequest", "Resource not found for the segment '" + seg[at] + "'."));
        }
        String rest = seg.length > at + 1 ? decode(seg[at + 1]) : null;
        // /contacts/{id}/photo or /contacts/{id}/photo/$value
        String sub = seg.length > at + 2 ? decode(String.join("/", java.util.Arrays.copyOfRange(seg, at + 2, seg.length)))
                : null;
        Map<String, String> q = form(query);
        String collection = String.join("/", java.util.Arrays.copyOfRange(seg, 0, at + 1));
        synchronized (this) {
            Folder folder = folder(user, folderId);
            if (rest == null) {
                return switch (method) {
                    case "GET" -> list(exchange, folder, collection, q);
                    case "POST" -> {
                        ObjectNode contact = bodyObject(body);
                        if (contact == null) {
                            yield send(exchange, 400, graphError("RequestBodyRead",
                                    "Cannot read the request body: it is not a JSON object."));
                        }
                        java.util.Optional<String> refused = GraphContactRules.refusal(seg[1], contact);
                        if (refused.isPresent()) {
                            yield send(exchange, 400, graphError("BadRequest", refused.get()));
                        }
                        ObjectNode stored = create(folder, contact, folderId);
                        yield send(exchange, 201, served(stored, q).toString());
                    }
                    default -> send(exchange, 405, graphError("ErrorInvalidRequest",
                            "The OData request is not supported."));
                };
            }
            if (rest.equals("delta") && method.equals("GET")) {
                return delta(exchange, folder, collection, q);
            }
            Stored stored = folder.contacts.get(rest);
            if (stored == null) {
                return send(exchange, 404, graphError("ErrorItemNotFound", "The specified object was not found in the store."));
            }
            if (sub != null) {
                return photo(exchange, method, sub, user, folder, rest, body);
            }
            switch (method) {
                case "GET" -> {
                    return send(exchange, 200, served(parse(stored.json()), q).toString());
                }
                case "PATCH" -> {
                    ObjectNode changes = bodyObject(body);
                    if (changes == null) {
                        return send(exchange, 400, graphError("RequestBodyRead",
                                "Cannot read the request body: it is not a JSON object."));
                    }
                    java.util.Optional<String> refused = GraphContactRules.refusal(seg[1], changes);
                    if (refused.isPresent()) {
                        return send(exchange, 400, graphError("BadRequest", refused.get()));
                    }
                    ObjectNode c = parse(stored.json());
                    String ifMatch = exchange.getRequestHeaders().getFirst("If-Match");
                    if (ifMatch != null && !ifMatch.equals("*") && !ifMatch.equals(c.path("@odata.etag").asText())) {
                        // Graph's answer when the change key sent is no longer the item's
                        return send(exchange, 412, graphError("ErrorIrresolvableConflict", "The send or update"
                                + " operation could not be performed because the change key passed in the request"
                                + " does not match the current change key for the item."));
                    }
                    merge(c, changes);
                    touch(folder, rest, c);
                    patches.merge(rest, 1, Integer::sum);
                    return send(exchange, 200, served(c, q).toString());
                }
                case "DELETE" -> {
                    folder.contacts.remove(rest);
                    folder.photos.remove(rest);
                    folder.removed.put(rest, ++folder.seq);
                    return send(exchange, 204, null);
                }
                default -> {
                    return send(exchange, 405, graphError("ErrorInvalidRequest", "The OData request is not supported."));
                }
            }
        }
    }

    /** {@code .../contacts/{id}/photo[/$value]}: Graph's profilePhoto resource as Outlook contacts support it. */
    private int photo(HttpExchange exchange, String method, String sub, String user, Folder folder, String id, byte[] body)
            throws IOException {
        boolean value = sub.equals("photo/$value");
        if (!value && !sub.equals("photo")) {
            return send(exchange, 400, graphError("BadRequest", "Resource not found for the segment '"
                    + sub.substring(sub.lastIndexOf('/') + 1) + "'."));
        }
        Photo photo = folder.photos.get(id);
        switch (method) {
            case "GET" -> {
                if (photo == null) {
                    return send(exchange, 404, graphError("ErrorItemNotFound", "The photo wasn't found."));
                }
                if (value) {
                    exchange.getResponseHeaders().add("Content-Type", photo.contentType());
                    exchange.sendResponseHeaders(200, photo.bytes().length);
                    exchange.getResponseBody().write(photo.bytes());
                    return 200;
                }
                int[] size = dimensions(photo.bytes());
                ObjectNode meta = JSON.createObjectNode();
                meta.put("@odata.context", baseUrl() + "/$metadata#users('" + user + "')/contacts('" + id + "')/photo/$entity");
                meta.put("@odata.mediaContentType", photo.contentType());
                meta.put("@odata.mediaEtag", "W/\"" + Integer.toHexString(java.util.Arrays.hashCode(photo.bytes())) + "\"");
                meta.put("id", size[0] + "X" + size[1]);
                meta.put("width", size[0]);
                meta.put("height", size[1]);
                return send(exchange, 200, meta.toString());
            }
            case "PUT" -> {
                if (!value) {
                    return send(exchange, 405, graphError("ErrorInvalidRequest", "The OData request is not supported."));
                }
                String type = exchange.getRequestHeaders().getFirst("Content-Type");
                if (body.length == 0 || type == null || !type.startsWith("image/")) {
                    return send(exchange, 400, graphError("ErrorInvalidRequest",
                            "The request body must be the image, with its Content-Type (image/jpeg)."));
                }
                folder.photos.put(id, new Photo(body, type));
                touch(folder, id, parse(folder.contacts.get(id).json()));
                return send(exchange, 200, null);
            }
            default -> {
                // "The delete operation supports only user or group photos, but not Outlook contact nor Teams photos."
                return send(exchange, 405, graphError("ErrorInvalidRequest", "The OData request is not supported."));
            }
        }
    }

    private static int[] dimensions(byte[] image) {
        try {
            java.awt.image.BufferedImage read = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(image));
            return read == null ? new int[] {0, 0} : new int[] {read.getWidth(), read.getHeight()};
        } catch (IOException e) {
            return new int[] {0, 0};
        }
    }

    private int list(HttpExchange exchange, Folder folder, String collection, Map<String, String> q) throws IOException {
        int top = Integer.parseInt(q.getOrDefault("$top", "10"));
        int skip = Integer.parseInt(q.getOrDefault("$skip", "0"));
        List<Stored> all = new ArrayList<>(folder.contacts.values());
        ObjectNode page = JSON.createObjectNode();
        page.put("@odata.context", baseUrl() + "/$metadata#" + collection.substring(collection.indexOf('/', 1) + 1));
        ArrayNode value = page.putArray("value");
        for (int i = skip; i < Math.min(all.size(), skip + top); i++) {
            value.add(served(parse(all.get(i).json()), q));
        }
        if (skip + top < all.size()) {
            Map<String, String> next = new LinkedHashMap<>(q);
            next.put("$top", "" + top);
            next.put("$skip", "" + (skip + top));
            page.put("@odata.nextLink", "http://127.0.0.1:" + server.getAddress().getPort() + collection + "?" + query(next));
        }
        return send(exchange, 200, page.toString());
    }

    /** Delta: {@code $deltatoken=S} means "changes after sequence S"; {@code $skiptoken=S.E.K} pages a round. */
    private int delta(HttpExchange exchange, Folder folder, String collection, Map<String, String> q) throws IOException {
        long from;
        long upTo;
        int offset;
        if (q.containsKey("$skiptoken")) {
            String[] t = q.get("$skiptoken").split("\\.");
            from = Long.parseLong(t[0]);
            upTo = Long.parseLong(t[1]);
            offset = Integer.parseInt(t[2]);
        } else {
            from = q.containsKey("$deltatoken") ? Long.parseLong(q.get("$deltatoken")) : -1;
            upTo = folder.seq;
            offset = 0;
        }
        String prefer = exchange.getRequestHeaders().getFirst("Prefer");
        int pageSize = 10;
        if (prefer != null && prefer.contains("odata.maxpagesize=")) {
            pageSize = Integer.parseInt(prefer.replaceAll(".*odata.maxpagesize=(\\d+).*", "$1"));
        }
        List<JsonNode> items = new ArrayList<>();
        for (Map.Entry<String, Stored> e : folder.contacts.entrySet()) {
            if (e.getValue().seq() > from && e.getValue().seq() <= upTo) {
                ObjectNode c = served(parse(e.getValue().json()), Map.of());
                c.put("@odata.type", "#microsoft.graph.contact");
                items.add(c);
            }
        }
        if (from >= 0) {
            for (Map.Entry<String, Long> e : folder.removed.entrySet()) {
                if (e.getValue() > from && e.getValue() <= upTo) {
                    ObjectNode r = JSON.createObjectNode();
                    r.put("@odata.type", "#microsoft.graph.contact");
                    r.put("id", e.getKey());
                    r.putObject("@removed").put("reason", "deleted");
                    items.add(r);
                }
            }
        }
        ObjectNode page = JSON.createObjectNode();
        page.put("@odata.context", baseUrl() + "/$metadata#Collection(contact)");
        ArrayNode value = page.putArray("value");
        for (int i = offset; i < Math.min(items.size(), offset + pageSize); i++) {
            value.add(items.get(i));
        }
        String base = "http://127.0.0.1:" + server.getAddress().getPort() + collection + "/delta?";
        if (offset + pageSize < items.size()) {
            page.put("@odata.nextLink", base + "$skiptoken=" + from + "." + upTo + "." + (offset + pageSize));
        } else {
            page.put("@odata.deltaLink", base + "$deltatoken=" + upTo);
        }
        return send(exchange, 200, page.toString());
    }

    // ---------------------------------------------------------------- store

    private Folder folder(String user, String folderId) {
        return folders.computeIfAbsent(key(user, folderId), k -> new Folder());
    }

    private static String key(String user, String folderId) {
        return user.toLowerCase(java.util.Locale.ROOT) + "\n" + folderId;
    }

    private ObjectNode create(Folder folder, ObjectNode contact, String folderId) {
        for (String readOnly : List.of("id", "changeKey", "createdDateTime", "lastModifiedDateTime", "@odata.etag")) {
            contact.remove(readOnly);
        }
        String id = "AAMkAD" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(33)) + "AAA=";
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        ObjectNode c = JSON.createObjectNode();
        c.put("id", id);
        c.put("createdDateTime", now);
        c.put("parentFolderId", folderId.isEmpty() ? "AAMkADdefaultContactsFolderAAA=" : folderId);
        c.setAll(contact);
        c.put("createdDateTime", now);
        touch(folder, id, c);
        return c;
    }

    private void touch(Folder folder, String id, ObjectNode c) {
        String changeKey = "EQAAABYAAAC" + Base64.getEncoder().encodeToString(bytes(15));
        c.put("changeKey", changeKey);
        c.put("@odata.etag", "W/\"" + changeKey + "\"");
        c.put("lastModifiedDateTime", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        folder.contacts.put(id, new Stored(c.toString(), ++folder.seq));
    }

    /** PATCH semantics: fields replace, null clears, extended properties are upserted by id. */
    private static void merge(ObjectNode c, ObjectNode changes) {
        Iterator<Map.Entry<String, JsonNode>> it = changes.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> f = it.next();
            if (List.of("id", "changeKey", "createdDateTime", "lastModifiedDateTime", "@odata.etag").contains(f.getKey())) {
                continue;
            }
            if (f.getKey().equals("singleValueExtendedProperties") && f.getValue().isArray()) {
                ArrayNode existing = c.has("singleValueExtendedProperties") && c.get("singleValueExtendedProperties").isArray()
                        ? (ArrayNode) c.get("singleValueExtendedProperties") : c.putArray("singleValueExtendedProperties");
                for (JsonNode ep : f.getValue()) {
                    boolean replaced = false;
                    for (int i = 0; i < existing.size(); i++) {
                        if (existing.get(i).path("id").asText().equalsIgnoreCase(ep.path("id").asText())) {
                            existing.set(i, ep);
                            replaced = true;
                        }
                    }
                    if (!replaced) {
                        existing.add(ep);
                    }
                }
            } else {
                c.set(f.getKey(), f.getValue());
            }
        }
    }

    /** What Graph sends for a stored contact: extended properties only when {@code $expand}ed (and filtered by id). */
    private ObjectNode served(ObjectNode c, Map<String, String> q) {
        ObjectNode out = c.deepCopy();
        JsonNode eps = out.remove("singleValueExtendedProperties");
        String expand = q.get("$expand");
        if (expand != null && expand.startsWith("singleValueExtendedProperties") && eps != null) {
            String wanted = expand.contains("id eq '") ? expand.replaceAll(".*id eq '([^']*)'.*", "$1") : null;
            ArrayNode kept = out.putArray("singleValueExtendedProperties");
            for (JsonNode ep : eps) {
                if (wanted == null || ep.path("id").asText().equalsIgnoreCase(wanted)) {
                    kept.add(ep);
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- helpers

    private static ObjectNode bodyObject(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n instanceof ObjectNode o ? o : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static ObjectNode parse(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int send(HttpExchange exchange, int status, String body) throws IOException {
        if (body == null) {
            exchange.sendResponseHeaders(status, -1);
            return status;
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json;odata.metadata=minimal;charset=utf-8");
        exchange.getResponseHeaders().add("request-id", UUID.randomUUID().toString());
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        return status;
    }

    /** Graph's documented error body. */
    static String graphError(String code, String message) {
        ObjectNode r = JSON.createObjectNode();
        ObjectNode e = r.putObject("error");
        e.put("code", code);
        e.put("message", message);
        ObjectNode inner = e.putObject("innerError");
        inner.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        inner.put("request-id", UUID.randomUUID().toString());
        inner.put("client-request-id", UUID.randomUUID().toString());
        return r.toString();
    }

    /** The Microsoft identity platform's documented error body. */
    private static String oauthError(String error, String description, int code) {
        ObjectNode r = JSON.createObjectNode();
        r.put("error", error);
        r.put("error_description", description + "\r\nTrace ID: " + UUID.randomUUID() + "\r\nCorrelation ID: "
                + UUID.randomUUID() + "\r\nTimestamp: " + Instant.now());
        r.putArray("error_codes").add(code);
        r.put("timestamp", Instant.now().toString());
        r.put("trace_id", UUID.randomUUID().toString());
        r.put("correlation_id", UUID.randomUUID().toString());
        return r.toString();
    }

    private static Map<String, String> form(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return out;
        }
        for (String pair : text.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static String query(Map<String, String> q) {
        StringBuilder s = new StringBuilder();
        q.forEach((k, v) -> s.append(s.length() == 0 ? "" : "&").append(k).append('=')
                .append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20")));
        return s.toString();
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
