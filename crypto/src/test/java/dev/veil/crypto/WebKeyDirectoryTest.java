package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Web Key Directory lookups against a real HTTPS server on 127.0.0.1 (names resolved through the test hosts file),
 * serving keys made by gpg at the paths gpg-wks-client computes: independent of Veil's own hash code.
 */
class WebKeyDirectoryTest {
    private static final Path WKS_CLIENT = Path.of("/usr/lib/gnupg/gpg-wks-client");

    @TempDir
    Path dir;

    private HttpsServer server;
    /** Request path (without query) to body. */
    private final Map<String, byte[]> published = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private SSLContext clientContext;

    @BeforeEach
    void serve() throws Exception {
        OpenSsl.assumeInstalled();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(WKS_CLIENT), "gpg-wks-client is not installed");
        OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "tls-key.pem", "-out", "tls-cert.pem", "-days", "2", "-subj", "/CN=openpgpkey.partner.example",
                "-addext", "subjectAltName=DNS:openpgpkey.partner.example,DNS:partner.example,DNS:openpgpkey.nokeys.example,DNS:nokeys.example");
        OpenSsl.run(dir, "pkcs12", "-export", "-in", "tls-cert.pem", "-inkey", "tls-key.pem", "-out", "tls.p12",
                "-passout", "pass:secret");
        KeyStore serverStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("tls.p12"))) {
            serverStore.load(in, "secret".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(serverStore, "secret".toCharArray());
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverContext));
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            String host = exchange.getRequestHeaders().getFirst("Host").replaceAll(":\\d+$", "");
            byte[] body = published.get(host + exchange.getRequestURI().getPath());
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(dir.resolve("tls-cert.pem"))) {
            trust.setCertificateEntry("wkd", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, tmf.getTrustManagers(), null);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void findsThePublishedKeyStoresItAndEncryptsToIt() throws Exception {
        try (Gpg gpg = new Gpg(dir.resolve("gnupg"))) {
            byte[] bob = generate(gpg, "Bob <bob@partner.example>", "bob@partner.example");
            String hash = wkdHash("bob@partner.example");
            assertThat(WebKeyDirectory.hash("Bob")).as("same as gpg-wks-client, case-folded").isEqualTo(hash);
            published.put("openpgpkey.partner.example/.well-known/openpgpkey/partner.example/hu/" + hash, bob);

            ExternalKeys external = ExternalKeys.open(dir.resolve("keys"));
            WebKeyDirectory wkd = directory(external, Clock.systemUTC());
            var ring = wkd.lookup("Bob@Partner.example");

            assertThat(ring).isPresent();
            String fingerprint = new String(gpg.run(dir, "--with-colons", "--fingerprint", "bob@partner.example"),
                    StandardCharsets.US_ASCII).lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
            assertThat(OpenPgpKeys.fingerprint(ring.get().getPublicKey())).isEqualToIgnoringCase(fingerprint);
            assertThat(external.openPgpKey("bob@partner.example")).as("stored like an imported key").isPresent();
            assertThat(ExternalKeys.open(dir.resolve("keys")).list()).hasSize(1);

            // the sealer uses it when the policy turns the lookup on, and gpg decrypts the result
            OpenPgpKeys own = OpenPgpKeys.open(dir.resolve("own"), MasterKey.generate());
            var settings = new dev.veil.config.KeySettings(false, "rsa-3072", false,
                    List.of(dev.veil.config.Action.Format.OPENPGP), "ed25519", "CA", dev.veil.config.KeySettings.DEFAULT_CA_VALIDITY,
                    dev.veil.config.KeySettings.DEFAULT_ROTATION, java.util.Optional.empty(), Map.of(), true);
            java.io.ByteArrayOutputStream sealed = new java.io.ByteArrayOutputStream();
            String message = "From: alice@example.com\r\nTo: bob@partner.example\r\nSubject: hi\r\n\r\nfor Bob only\r\n";
            new PgpMimeSealer(own, ExternalKeys.open(dir.resolve("keys2")), wkd, settings).seal(
                    new java.io.ByteArrayInputStream(message.getBytes(StandardCharsets.US_ASCII)), sealed,
                    new SealRequest(List.of("bob@partner.example"), false, List.of(), dev.veil.config.ContentCipher.AES_256_GCM, "x"));
            String armored = new String(sealed.toByteArray(), StandardCharsets.US_ASCII);
            String block = armored.substring(armored.indexOf("-----BEGIN PGP MESSAGE-----"),
                    armored.indexOf("-----END PGP MESSAGE-----") + "-----END PGP MESSAGE-----".length());
            Files.writeString(dir.resolve("m.asc"), block);
            assertThat(new String(gpg.run(dir, "--decrypt", "m.asc"), StandardCharsets.UTF_8)).contains("for Bob only");
        }
    }

    @Test
    void refusesAKeyForAnotherAddressAndRemembersMisses() throws Exception {
        try (Gpg gpg = new Gpg(dir.resolve("gnupg"))) {
            byte[] mallory = generate(gpg, "Mallory <mallory@partner.example>", "mallory@partner.example");
            // a directory serving Mallory's key at Carol's address: not stored, not used
            published.put("openpgpkey.partner.example/.well-known/openpgpkey/partner.example/hu/" + wkdHash("carol@partner.example"), mallory);
            ExternalKeys external = ExternalKeys.open(dir.resolve("keys"));
            MutableClock clock = new MutableClock();
            WebKeyDirectory wkd = directory(external, clock);
            assertThat(wkd.lookup("carol@partner.example")).isEmpty();
            assertThat(external.list()).isEmpty();

            // a domain without a directory: both methods asked once, then the miss is believed for an hour
            int before = requests.get();
            assertThat(wkd.lookup("dave@nokeys.example")).isEmpty();
            assertThat(requests.get() - before).isEqualTo(2);
            assertThat(wkd.lookup("dave@nokeys.example")).isEmpty();
            assertThat(requests.get() - before).as("cached miss").isEqualTo(2);
            clock.now = clock.now.plus(Duration.ofMinutes(61));
            assertThat(wkd.lookup("dave@nokeys.example")).isEmpty();
            assertThat(requests.get() - before).isEqualTo(4);

            // the direct method, when the advanced one has nothing
            byte[] erin = generate(gpg, "Erin <erin@partner.example>", "erin@partner.example");
            published.put("partner.example/.well-known/openpgpkey/hu/" + wkdHash("erin@partner.example"), erin);
            assertThat(wkd.lookup("erin@partner.example")).isPresent();
        }
    }

    @Test
    void anUntrustedServerOrAHostThatDoesNotAnswerGivesNothingWithinTheTimeout() throws Exception {
        try (Gpg gpg = new Gpg(dir.resolve("gnupg"))) {
            published.put("openpgpkey.partner.example/.well-known/openpgpkey/partner.example/hu/" + wkdHash("bob@partner.example"),
                    generate(gpg, "Bob <bob@partner.example>", "bob@partner.example"));
        }
        ExternalKeys external = ExternalKeys.open(dir.resolve("keys"));
        // the default trust store does not know the test certificate: TLS fails, no key
        WebKeyDirectory untrusting = new WebKeyDirectory(external, WebKeyDirectory.defaultClient(Duration.ofSeconds(5)),
                Duration.ofSeconds(5), server.getAddress().getPort(), Duration.ofHours(1), Clock.systemUTC());
        assertThat(untrusting.lookup("bob@partner.example")).isEmpty();
        assertThat(external.list()).isEmpty();
        // a port where a server accepts and never answers: the timeout ends it
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            WebKeyDirectory slow = new WebKeyDirectory(external,
                    HttpClient.newBuilder().sslContext(clientContext).connectTimeout(Duration.ofSeconds(1)).build(),
                    Duration.ofSeconds(1), silent.getLocalPort(), Duration.ofHours(1), Clock.systemUTC());
            long start = System.nanoTime();
            assertThat(slow.lookup("bob@partner.example")).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        }
    }

    private WebKeyDirectory directory(ExternalKeys external, Clock clock) {
        HttpClient client = HttpClient.newBuilder().sslContext(clientContext).connectTimeout(Duration.ofSeconds(5)).build();
        return new WebKeyDirectory(external, client, Duration.ofSeconds(5), server.getAddress().getPort(), Duration.ofHours(1), clock);
    }

    private byte[] generate(Gpg gpg, String userId, String address) throws Exception {
        gpg.run(dir, "--quick-gen-key", userId, "ed25519", "default", "never");
        gpg.run(dir, "--quick-add-key", fingerprintOf(gpg, address), "cv25519", "encr", "never");
        return gpg.run(dir, "--export", address);
    }

    private String fingerprintOf(Gpg gpg, String address) throws Exception {
        return new String(gpg.run(dir, "--with-colons", "--fingerprint", address), StandardCharsets.US_ASCII).lines()
                .filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
    }

    private String wkdHash(String address) throws Exception {
        Process p = new ProcessBuilder(WKS_CLIENT.toString(), "--print-wkd-hash", address).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertThat(p.waitFor()).isZero();
        return out.split(" ")[0];
    }

    private static final class MutableClock extends Clock {
        Instant now = Instant.now();

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
