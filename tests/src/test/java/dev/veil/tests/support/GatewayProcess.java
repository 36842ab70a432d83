package dev.veil.tests.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Veil gateway in its own JVM, started from the shaded jar ({@link VeilLauncher}) with a config.yml of the
 * test's making, so tests can kill it with SIGKILL and restart it on the same data directory.
 */
public final class GatewayProcess implements AutoCloseable {
    private final Path dataDir;
    private final Map<String, String> settings;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<String> jvmOptions = new ArrayList<>(List.of("-Xmx512m"));
    private int smtpPort;
    private int outboundPort;
    private int adminPort;
    private int appPort;
    private Process process;
    private int starts;

    private GatewayProcess(Path dataDir, Map<String, String> settings) {
        this.dataDir = dataDir;
        this.settings = settings;
        pickPorts();
    }

    private void pickPorts() {
        smtpPort = freePort();
        outboundPort = freePort();
        adminPort = freePort();
        appPort = freePort();
    }

    /** A gateway on a data directory pre-seeded with the shared test keys (keys take seconds to generate). */
    public static GatewayProcess withKeys(Path dataDir) {
        TestKeys.seed(dataDir);
        return new GatewayProcess(dataDir, new LinkedHashMap<>());
    }

    /** A gateway on an empty data directory: it generates everything itself. */
    public static GatewayProcess fresh(Path dataDir) {
        return new GatewayProcess(dataDir, new LinkedHashMap<>());
    }

    /** A config.yml setting, by dotted name: {@code set("upstream.port", "2526")}. */
    public GatewayProcess set(String dottedName, String value) {
        settings.put(dottedName, value);
        return this;
    }

    /** A JVM option for the server's JVM (not its one-shot commands'). */
    GatewayProcess jvmOption(String option) {
        jvmOptions.add(option);
        return this;
    }

    public GatewayProcess env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    public GatewayProcess upstreamSmtp(int port) {
        return set("upstream.mode", "smtp").set("upstream.host", "127.0.0.1").set("upstream.port", "" + port)
                .set("upstream.tls", "none");
    }

    /** Outbound mail to an SMTP server on loopback (GreenMail in tests), without TLS. */
    public GatewayProcess outboundRelaySmtp(int port) {
        return set("outbound.relay.mode", "smtp").set("outbound.relay.host", "127.0.0.1")
                .set("outbound.relay.port", "" + port).set("outbound.relay.tls", "none");
    }

    /**
     * Starts the gateway and waits for its greeting. A port picked free can be taken before the gateway binds it
     * (another gateway's H2 server, an outgoing connection): the start is then tried again on new ports, twice.
     */
    public GatewayProcess start() {
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce();
            } catch (IllegalStateException e) {
                if (attempt == 3 || e.getMessage() == null || !e.getMessage().contains("Address already in use")) {
                    throw e;
                }
                starts--; // it never started
                pickPorts();
            }
        }
    }

    private GatewayProcess startOnce() {
        try {
            Files.createDirectories(dataDir);
            Path config = dataDir.resolve("config.yml");
            Files.writeString(config, configYaml());
            List<String> command = VeilLauncher.command(jvmOptions, List.of("server", config.toString()));
            ProcessBuilder builder = new ProcessBuilder(command).directory(dataDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
            builder.environment().putAll(environment);
            process = builder.start();
            starts++;
            awaitGreeting(Duration.ofSeconds(90));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a veil sub-command ({@code keys export-escrow --out DIR}) on the same config; returns its output. */
    public String command(String... args) {
        CommandResult result = commandResult(args);
        if (result.exit() != 0) {
            throw new IllegalStateException("veil " + String.join(" ", args) + " failed:\n" + result.output());
        }
        return result.output();
    }

    /** What a sub-command printed (stdout and stderr together) and its exit code. */
    public record CommandResult(int exit, String output) {
    }

    /** Runs a veil sub-command on the same config and returns its exit code and output, whatever the exit code. */
    public CommandResult commandResult(String... args) {
        try {
            Process p = startCommand(args);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("veil " + String.join(" ", args) + " did not finish:\n" + out);
            }
            return new CommandResult(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts a veil sub-command on the same config (stdout and stderr merged) and returns at once (kill tests). */
    public Process startCommand(String... args) throws IOException {
        Path config = dataDir.resolve("config.yml");
        if (!Files.exists(config)) {
            Files.createDirectories(dataDir);
            Files.writeString(config, configYaml());
        }
        // a one-shot admin command: C1 only and the serial collector start it in about half the CPU (4.2 s of
        // user time against 2.5 s for `keys list` on the 2-core test machine); contacts commands do bulk work
        List<String> options = args.length == 0 || !"contacts".equals(args[0])
                ? List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC") : List.of();
        List<String> arguments = new ArrayList<>(List.of(args));
        arguments.add(config.toString());
        List<String> command = VeilLauncher.command(options, arguments);
        ProcessBuilder builder = new ProcessBuilder(command).directory(dataDir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        return builder.start();
    }

    private String configYaml() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("dataDir", dataDir.toString());
        all.put("smtp.port", "" + smtpPort);
        all.put("smtp.hostname", "veil.test");
        all.put("outbound.port", "" + outboundPort);
        all.put("queue.initialRetryDelay", "1s");
        all.put("queue.maxRetryDelay", "2s");
        all.put("queue.pollInterval", "200ms");
        all.putAll(settings);
        // dotted names nest at every dot: outbound.relay.host -> outbound: {relay: {host: ...}}
        Map<String, Object> tree = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : all.entrySet()) {
            String[] parts = e.getKey().split("\\.");
            Map<String, Object> node = tree;
            for (int i = 0; i < parts.length - 1; i++) {
                @SuppressWarnings("unchecked")
                Map<String, Object> child = (Map<String, Object>) node.computeIfAbsent(parts[i],
                        k -> new LinkedHashMap<String, Object>());
                node = child;
            }
            node.put(parts[parts.length - 1], e.getValue());
        }
        StringBuilder yaml = new StringBuilder();
        appendYaml(yaml, tree, "");
        yaml.append("""
                server:
                  applicationConnectors:
                    - type: http
                      bindHost: 127.0.0.1
                      port: %d
                  adminConnectors:
                    - type: http
                      bindHost: 127.0.0.1
                      port: %d
                """.formatted(appPort, adminPort));
        return yaml.toString();
    }

    @SuppressWarnings("unchecked")
    private static void appendYaml(StringBuilder yaml, Map<String, Object> node, String indent) {
        node.forEach((k, v) -> {
            if (v instanceof Map<?, ?> child) {
                yaml.append(indent).append(k).append(":\n");
                appendYaml(yaml, (Map<String, Object>) child, indent + "  ");
            } else {
                yaml.append(indent).append(k).append(": ").append(quote((String) v)).append('\n');
            }
        });
    }

    private static String quote(String v) {
        return v.startsWith("[") ? v : "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private void awaitGreeting(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("gateway exited with " + process.exitValue() + ":\n" + logTail());
            }
            try (Socket s = new Socket("127.0.0.1", smtpPort)) {
                s.setSoTimeout(5000);
                String greeting = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                        .readLine();
                if (greeting != null && greeting.startsWith("220")) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            sleep(200);
        }
        throw new IllegalStateException("gateway did not greet on port " + smtpPort + " in " + timeout + ":\n" + logTail());
    }

    /** SIGKILL: no shutdown hook, no flush — a crash. */
    public void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** SIGTERM and wait: a normal stop. */
    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        kill();
    }

    public int smtpPort() {
        return smtpPort;
    }

    /** The outbound (submission) listener's port. */
    public int outboundPort() {
        return outboundPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path log() {
        return dataDir.resolve("veil.log");
    }

    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log(), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public String adminToken() {
        try {
            return Files.readString(dataDir.resolve("admin.token")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** GET on the admin port with the admin token; returns status and body. */
    public HttpResponse<String> admin(String path) {
        return adminRequest(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .header("Authorization", "Bearer " + adminToken()).GET().build());
    }

    /** The spool entries as the admin API lists them: id, state, recipients, attempts, lastError... */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> queue() {
        HttpResponse<String> response = admin("/queue?limit=100000");
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET /queue answered " + response.statusCode() + ": " + response.body());
        }
        try {
            Map<String, Object> body = new com.fasterxml.jackson.databind.ObjectMapper().readValue(response.body(), Map.class);
            return (List<Map<String, Object>>) body.get("entries");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The state of one queue entry, or null if there is none. */
    public String state(String queueId) {
        return queue().stream().filter(e -> queueId.equals(e.get("id"))).map(e -> (String) e.get("state"))
                .findFirst().orElse(null);
    }

    /** Waits until the entry reaches {@code state}; fails with the queue and log if it does not. */
    public Map<String, Object> awaitState(String queueId, String state, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        Map<String, Object> last = null;
        while (Instant.now().isBefore(deadline)) {
            last = queue().stream().filter(e -> queueId.equals(e.get("id"))).findFirst().orElse(null);
            if (last != null && state.equals(last.get("state"))) {
                return last;
            }
            sleep(100);
        }
        throw new AssertionError(queueId + " did not become " + state + " in " + timeout + "; last: " + last
                + "\n" + logTail());
    }

    /** POST with the admin token and an empty body. */
    public HttpResponse<String> adminPost(String path) {
        return adminRequest(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .header("Authorization", "Bearer " + adminToken()).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** DELETE with the admin token. */
    public HttpResponse<String> adminDelete(String path) {
        return adminRequest(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .header("Authorization", "Bearer " + adminToken()).DELETE().build());
    }

    /** Any method, with the admin token and an empty body. */
    public HttpResponse<String> adminMethod(String method, String path) {
        return adminRequest(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .header("Authorization", "Bearer " + adminToken())
                .method(method, HttpRequest.BodyPublishers.noBody()).build());
    }

    public HttpResponse<String> adminWithoutToken(String path) {
        return adminRequest(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).GET().build());
    }

    private static HttpResponse<String> adminRequest(HttpRequest request) {
        try {
            return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int starts() {
        return starts;
    }

    public static int freePort() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        int below = Math.max(PORTS_FROM + 1_000, EPHEMERAL_PORTS_START);
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = PORTS_FROM + random.nextInt(below - PORTS_FROM);
            if (!HANDED_OUT.add(port)) {
                continue; // given to another server of this run already, perhaps not bound yet
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1);
                return port;
            } catch (IOException taken) {
                // in use: try another
            }
        }
        throw new IllegalStateException("no free loopback port between " + PORTS_FROM + " and " + below);
    }

    /**
     * Test servers get ports below the kernel's ephemeral range. A port the kernel handed out for {@code bind(0)}
     * comes from that range, and any outgoing connection may take it as its local port between the moment a test
     * lets it go and the moment the next server binds it: CI saw GreenMail fail with "Address already in use" on
     * the port a closed stand-in upstream had used, and the gateway on its admin port.
     */
    private static final int PORTS_FROM = 10_000;
    private static final int EPHEMERAL_PORTS_START = ephemeralPortsStart();
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static int ephemeralPortsStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768; // Linux's default
        }
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
