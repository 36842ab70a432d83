package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.icegreen.greenmail.util.GreenMail;
import dev.veil.tests.support.ExchangeAndVeil;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.SmtpSubmit;
import dev.veil.tests.support.Tools;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil keys rotate}, {@code revoke} and {@code rotate-master} beside a running server: new mail goes to the
 * new key at once, everything already relayed stays readable (by Veil and, with the exported keys, by openssl),
 * and the server keeps issuing and relaying throughout a master key rotation.
 */
class KeyRotationEndToEndTest {
    private static final String READER = "reader@example.com";

    @TempDir
    Path dir;

    @Test
    void rotateRevokeAndRotateMasterWhileTheServerRuns() throws Exception {
        ObjectMapper json = new ObjectMapper();
        try (ExchangeAndVeil started = ExchangeAndVeil.start(dir.resolve("veil-data"))) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil();
            Path first = relay(veil, exchange, "before-rotation", 1);

            List<Map<String, Object>> rotated = json.readValue(veil.command("keys", "rotate", READER, "--json"), List.class);
            assertThat(rotated).hasSize(1);
            String oldFingerprint = (String) rotated.get(0).get("replaced");
            String newFingerprint = (String) rotated.get(0).get("fingerprint");
            assertThat(oldFingerprint).isNotNull().isNotEqualTo(newFingerprint);

            Path second = relay(veil, exchange, "after-rotation", 2);
            Path newKey = exportUser(veil, "new");
            assertThat(opensslOpens(second, newKey)).as("new mail is for the new key").isTrue();
            assertThat(opensslOpens(first, newKey)).as("the new key cannot open old mail").isFalse();
            assertThat(veil.command("decrypt", first.toString())).as("old mail: Veil still has the old key")
                    .contains("secret before-rotation");
            String listing = veil.command("keys", "list");
            assertThat(listing).contains("STATUS").containsPattern("user\\s+reader@example.com\\s+\\S+\\s+retired ");

            String revoked = veil.command("keys", "revoke", READER);
            assertThat(revoked).contains(newFingerprint).contains("ca.crl");
            assertThat(veil.dataDir().resolve("keys/ca.crl")).exists();
            Path third = relay(veil, exchange, "after-revocation", 3);
            Path newest = exportUser(veil, "newest");
            assertThat(opensslOpens(third, newest)).isTrue();
            assertThat(opensslOpens(second, newest)).isFalse();
            assertThat(veil.command("decrypt", second.toString())).contains("secret after-rotation");
            assertThat(veil.command("keys", "list")).containsPattern("reader@example.com\\s+\\S+\\s+revoked ");
            // a user who reads with their own key (Outlook) takes the retired keys along: every message opens
            Path password = dir.resolve("pw.txt");
            Path all = dir.resolve("all.p12");
            assertThat(veil.command("keys", "export-user", READER, "--out", all.toString(), "--password-file",
                    password.toString(), "--with-retired")).contains("with 2 retired key(s)");
            Tools.run(dir, "openssl", "pkcs12", "-in", all.toString(), "-nodes", "-nocerts", "-passin",
                    "file:" + password, "-out", dir.resolve("all.pem").toString()).orFail("openssl pkcs12");
            String[] blocks = Files.readString(dir.resolve("all.pem")).split("-----BEGIN PRIVATE KEY");
            assertThat(blocks).hasSize(4);
            for (Path message : List.of(first, second, third)) {
                boolean opened = false;
                for (int i = 1; i < blocks.length; i++) {
                    Path key = dir.resolve("key" + i + ".pem");
                    Files.writeString(key, "-----BEGIN PRIVATE KEY" + blocks[i]);
                    opened |= opensslOpens(message, key);
                }
                assertThat(opened).as(message + " opens with a key of the export").isTrue();
            }

            String oldMaster = Files.readString(veil.dataDir().resolve("master.key"));
            Map<String, Object> masterRotation = json.readValue(veil.command("keys", "rotate-master", "--json"), Map.class);
            assertThat((Integer) masterRotation.get("total")).isGreaterThanOrEqualTo(5);
            assertThat(Files.readString(veil.dataDir().resolve("master.key"))).isNotEqualTo(oldMaster);
            assertThat(veil.dataDir().resolve("master.key.next")).doesNotExist();
            // the running server issues a certificate for a user it has never seen (unwrapping the CA, re-wrapped
            // meanwhile) and relays: no restart was needed
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", "newcomer@example.com",
                    SmtpSubmit.message("after-master", "newcomer@example.com", "secret after-master")).queueId();
            veil.awaitState(id, "relayed", Duration.ofSeconds(30));
            assertThat(veil.command("decrypt", first.toString())).contains("secret before-rotation");
            // and after a restart, with only the new master key on disk, everything still opens
            veil.stop();
            veil.start();
            Path fourth = relay(veil, exchange, "after-restart", 5);
            for (Path message : List.of(first, second, third, fourth)) {
                assertThat(veil.command("decrypt", message.toString())).contains("secret ");
            }
            assertThat(veil.command("keys", "list", "--json")).contains("\"status\" : \"current\"");
        }
    }

    private Path relay(GatewayProcess veil, GreenMail exchange, String name, int expectedCount) throws Exception {
        String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", READER,
                SmtpSubmit.message(name, READER, "secret " + name)).queueId();
        veil.awaitState(id, "relayed", Duration.ofSeconds(30));
        assertThat(exchange.waitForIncomingEmail(10_000, expectedCount)).isTrue();
        MimeMessage[] received = exchange.getReceivedMessages();
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        received[received.length - 1].writeTo(raw);
        Path file = dir.resolve(name + ".eml");
        Files.write(file, raw.toByteArray());
        return file;
    }

    private Path exportUser(GatewayProcess veil, String name) throws Exception {
        Path password = dir.resolve("pw.txt");
        Files.writeString(password, "a long passphrase\n");
        Path p12 = dir.resolve(name + ".p12");
        veil.command("keys", "export-user", READER, "--out", p12.toString(), "--password-file", password.toString());
        Path pem = dir.resolve(name + ".pem");
        Tools.run(dir, "openssl", "pkcs12", "-in", p12.toString(), "-nodes", "-passin", "file:" + password, "-out",
                pem.toString()).orFail("openssl pkcs12");
        return pem;
    }

    private boolean opensslOpens(Path message, Path keyAndCertificate) {
        return Tools.run(dir, "openssl", "cms", "-decrypt", "-in", message.toString(), "-inkey",
                keyAndCertificate.toString(), "-out", dir.resolve("out.eml").toString()).exitCode() == 0;
    }
}
