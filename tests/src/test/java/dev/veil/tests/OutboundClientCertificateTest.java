package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbound listener trusting clients by their TLS certificate ({@code outbound.clientCertificates}), as Exchange
 * Online's outbound connector is trusted: loopback is not an allowed network here and no accounts exist, so only a
 * certificate can make swaks a relay client. Certificates come from openssl: one self-signed and pinned by
 * fingerprint, one issued by a test CA with the configured DNS name, and two that must not be trusted.
 */
class OutboundClientCertificateTest {
    @TempDir
    static Path dir;
    static GreenMail world;
    static GatewayProcess veil;

    @BeforeAll
    static void start() throws Exception {
        world = new GreenMail(new ServerSetup(GatewayProcess.freePort(), "127.0.0.1", "smtp"));
        world.start();
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "pinned-key.pem", "-out", "pinned.pem", "-days", "2", "-subj", "/CN=pinned.partner.example");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "stranger-key.pem", "-out", "stranger.pem", "-days", "2", "-subj", "/CN=relay.partner.example",
                "-addext", "subjectAltName=DNS:relay.partner.example");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Veil Test Connector CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        issue("connector", "relay.partner.example");
        issue("other-name", "elsewhere.example");
        String fingerprint = openssl("x509", "-in", "pinned.pem", "-noout", "-fingerprint", "-sha256")
                .replaceAll("(?s).*=", "").strip();
        veil = GatewayProcess.withKeys(dir.resolve("veil-data")).outboundRelaySmtp(world.getSmtp().getPort())
                .set("outbound.allowedNetworks", "[\"192.0.2.0/24\"]")
                .set("outbound.clientCertificates.fingerprints", "[\"" + fingerprint + "\"]")
                .set("outbound.clientCertificates.names", "[\"*.partner.example\"]")
                .set("outbound.clientCertificates.trustStore", dir.resolve("ca.pem").toString())
                .start();
    }

    @AfterAll
    static void stop() {
        if (veil != null) {
            veil.close();
        }
        if (world != null) {
            world.stop();
        }
    }

    @Test
    void aPinnedCertificateRelays() {
        Tools.Result sent = swaks("--tls", "--tls-cert", cert("pinned"), "--tls-key", key("pinned"),
                "--header", "Subject: by pinned certificate");
        assertThat(sent.exitCode()).as(sent.output()).isZero();
        Map<String, Object> entry = veil.awaitState(queued(sent), "relayed", Duration.ofSeconds(30));
        assertThat(entry.get("direction")).isEqualTo("outbound");
    }

    @Test
    void aCertificateFromTheConfiguredCaWithAMatchingNameRelays() {
        Tools.Result sent = swaks("--tls", "--tls-cert", cert("connector"), "--tls-key", key("connector"),
                "--header", "Subject: by CA certificate");
        assertThat(sent.exitCode()).as(sent.output()).isZero();
        veil.awaitState(queued(sent), "relayed", Duration.ofSeconds(30));
    }

    @Test
    void everyOtherClientIsRefusedRelaying() {
        List<String> failures = new ArrayList<>();
        Map<String, Tools.Result> attempts = new java.util.LinkedHashMap<>();
        attempts.put("no TLS", swaks());
        attempts.put("TLS without a certificate", swaks("--tls"));
        attempts.put("self-signed with the right name, not pinned", swaks("--tls", "--tls-cert", cert("stranger"),
                "--tls-key", key("stranger")));
        attempts.put("from the CA, with another name", swaks("--tls", "--tls-cert", cert("other-name"),
                "--tls-key", key("other-name")));
        attempts.forEach((what, result) -> {
            if (result.exitCode() == 0 || !result.output().contains("554 5.7.1 Relay access denied")) {
                failures.add(what + ":\n" + result.output());
            }
        });
        assertThat(failures).isEmpty();
        // what an admin needs to trust a certificate is in the log
        assertThat(veil.logTail()).contains("presented a certificate (not trusted): subject 'CN=relay.partner.example'",
                "DNS names [relay.partner.example]", "SHA-256 ");
        assertThat(veil.queue()).noneMatch(e -> "outbound".equals(e.get("direction"))
                && !List.of("relayed", "processing", "received").contains(e.get("state")));
    }

    private static Tools.Result swaks(String... args) {
        List<String> command = new ArrayList<>(List.of("swaks", "--server", "127.0.0.1:" + veil.outboundPort(),
                "--helo", "connector.partner.example", "--from", "alice@example.com", "--to", "bob@partner.example"));
        command.addAll(List.of(args));
        return Tools.run(null, command);
    }

    private static void issue(String name, String dnsName) {
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + "-key.pem",
                "-out", name + ".csr", "-subj", "/CN=" + dnsName);
        Path extensions = dir.resolve(name + ".ext");
        try {
            java.nio.file.Files.writeString(extensions, "subjectAltName=DNS:" + dnsName
                    + "\nextendedKeyUsage=clientAuth,serverAuth\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-out", name + ".pem", "-days", "2", "-extfile", extensions.toString());
    }

    private static String openssl(String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        return Tools.run(dir, command).orFail("openssl " + args[0]).output();
    }

    private static String cert(String name) {
        return dir.resolve(name + ".pem").toString();
    }

    private static String key(String name) {
        return dir.resolve(name + "-key.pem").toString();
    }

    private static String queued(Tools.Result swaks) {
        Matcher m = Pattern.compile("queued as ([0-9A-Z]+)").matcher(swaks.output());
        assertThat(m.find()).as("queued in:\n" + swaks.output()).isTrue();
        return m.group(1);
    }
}
