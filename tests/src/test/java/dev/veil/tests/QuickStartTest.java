package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.tests.support.Tools;
import dev.veil.tests.support.VeilReceived;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's quick start, as a new user types it: the shaded jar with no config file and its default ports,
 * curl to send, openssl to decrypt with the exported escrow key and the exported user key.
 */
class QuickStartTest {
    @TempDir
    Path dir;

    @Test
    void theReadmeQuickStartWorksWithEmbeddedDefaults() throws Exception {
        Path jar = Path.of("").toAbsolutePath().getParent().resolve("gateway/target/veil.jar");
        assertThat(jar).as("the shaded jar; `mvn verify` builds it before the tests run").exists();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int port : new int[] {2525, 2587}) {
            // the quick start uses the default ports: another server on them would answer in Veil's place
            try (ServerSocket free = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                free.setReuseAddress(true);
            } catch (IOException e) {
                throw new AssertionError("port " + port + " (a default port of the quick start) is taken by another"
                        + " process; stop it and run this test again", e);
            }
        }
        Process server = new ProcessBuilder(javaBin, "-jar", jar.toString(), "server").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
        try {
            awaitPort(2525, server);
            assertThat(Files.readString(dir.resolve("server.log"))).contains("no real upstream is configured");
            assertThat(dir.resolve("veil-data/policy.yml")).exists();
            assertThat(Files.getPosixFilePermissions(dir.resolve("veil-data/master.key")))
                    .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);

            byte[] hello = "From: alice@partner.example\r\nTo: bob@example.com\r\nSubject: the plan\r\n\r\nMeet at noon.\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Files.write(dir.resolve("hello.eml"), hello);
            Tools.run(dir, "curl", "-sS", "smtp://127.0.0.1:2525", "--mail-from", "alice@partner.example",
                    "--mail-rcpt", "bob@example.com", "--upload-file", "hello.eml").orFail("curl smtp");
            Path relayed = awaitUpstreamFile(dir.resolve("veil-data/upstream"));
            String outside = Files.readString(relayed);
            assertThat(outside).contains("Subject: [encrypted]").contains("application/pkcs7-mime")
                    .doesNotContain("the plan").doesNotContain("Meet at noon");

            Tools.run(dir, javaBin, "-jar", jar.toString(), "keys", "export-escrow", "--out", "escrow", "--unencrypted")
                    .orFail("veil keys export-escrow");
            Tools.run(dir, "openssl", "cms", "-decrypt", "-in", relayed.toString(), "-inkey", "escrow/escrow-key.pem",
                    "-recip", "escrow/escrow-cert.pem", "-out", "by-escrow.eml").orFail("openssl cms -decrypt (escrow)");
            assertThat(VeilReceived.stripped(Files.readAllBytes(dir.resolve("by-escrow.eml")))).isEqualTo(hello);

            Files.writeString(dir.resolve("pw.txt"), "a long passphrase\n");
            Tools.run(dir, javaBin, "-jar", jar.toString(), "keys", "export-user", "bob@example.com", "--out", "bob.p12",
                    "--password-file", "pw.txt").orFail("veil keys export-user");
            Tools.run(dir, "openssl", "pkcs12", "-in", "bob.p12", "-nodes", "-passin", "file:pw.txt", "-out", "bob.pem")
                    .orFail("openssl pkcs12");
            Tools.run(dir, "openssl", "cms", "-decrypt", "-in", relayed.toString(), "-inkey", "bob.pem",
                    "-out", "by-bob.eml").orFail("openssl cms -decrypt (user key)");
            assertThat(VeilReceived.stripped(Files.readAllBytes(dir.resolve("by-bob.eml")))).isEqualTo(hello);

            String token = Files.readString(dir.resolve("veil-data/admin.token")).trim();
            String queue = Tools.run(dir, "curl", "-sS", "-H", "Authorization: Bearer " + token,
                    "http://127.0.0.1:8081/queue").orFail("curl admin").output();
            assertThat(queue).contains("\"state\":\"relayed\"");

            Tools.Result foreign = Tools.run(dir, "curl", "-sS", "smtp://127.0.0.1:2525", "--mail-from",
                    "alice@partner.example", "--mail-rcpt", "someone@foreign.example", "--upload-file", "hello.eml");
            assertThat(foreign.exitCode()).isNotZero();
            assertThat(foreign.output()).contains("550");
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    private static void awaitPort(int port, Process server) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (Instant.now().isBefore(deadline)) {
            assertThat(server.isAlive()).as("veil server is running").isTrue();
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("nothing listens on " + port);
    }

    private static Path awaitUpstreamFile(Path upstream) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (Instant.now().isBefore(deadline)) {
            if (Files.isDirectory(upstream)) {
                try (Stream<Path> files = Files.list(upstream)) {
                    List<Path> eml = files.filter(p -> p.toString().endsWith(".eml")).toList();
                    if (!eml.isEmpty()) {
                        return eml.get(0);
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("nothing arrived in " + upstream);
    }
}
