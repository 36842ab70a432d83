package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil keys …} and {@code veil policy …} as an admin types them: the trailing config file, one-line errors,
 * the escrow export's protection (checked with openssl), {@code show} for Veil's own keys, consistent output.
 * {@link GatewayProcess#commandResult} appends the config file to every command, as the README's synopses allow.
 */
class KeysCommandLineTest {
    static final String ALICE = "alice@example.com";

    @TempDir
    Path dir;

    @Test
    void theEscrowKeyIsExportedEncryptedWithAPasswordFileAndUnencryptedOnlyOnRequest() throws Exception {
        GatewayProcess veil = GatewayProcess.withKeys(dir.resolve("data"));
        Path escrow = dir.resolve("escrow");
        GatewayProcess.CommandResult implicit = veil.commandResult("keys", "export-escrow", "--out", escrow.toString());
        assertThat(implicit.exit()).isEqualTo(1);
        assertThat(implicit.output()).contains("--password-file").doesNotContain("\tat ");
        assertThat(escrow.resolve("escrow-key.pem")).doesNotExist();

        Path password = dir.resolve("pw.txt");
        Files.writeString(password, "correct horse\n");
        veil.command("keys", "export-escrow", "--out", escrow.toString(), "--password-file", password.toString());
        Path key = escrow.resolve("escrow-key.pem");
        assertThat(Files.readString(key)).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
        Tools.run(dir, "openssl", "pkey", "-in", key.toString(), "-passin", "file:" + password, "-noout")
                .orFail("openssl pkey");
        assertThat(Tools.run(dir, "openssl", "pkey", "-in", key.toString(), "-passin", "pass:wrong", "-noout").exitCode())
                .isNotZero();
        assertThat(Tools.run(dir, "openssl", "asn1parse", "-in", key.toString()).orFail("openssl asn1parse").output())
                .contains("PBES2").contains("PBKDF2").contains("hmacWithSHA256").contains("aes-256-cbc");

        Files.writeString(dir.resolve("plain.eml"), "Subject: recovery\r\n\r\nthe escrow key reads this\r\n");
        Tools.run(dir, "openssl", "cms", "-encrypt", "-aes-256-gcm", "-in", "plain.eml", "-out", "sealed.eml",
                escrow.resolve("escrow-cert.pem").toString()).orFail("openssl cms -encrypt");
        assertThat(Tools.run(dir, "openssl", "cms", "-decrypt", "-in", "sealed.eml", "-inkey", key.toString(),
                "-passin", "file:" + password).orFail("openssl cms -decrypt").output()).contains("the escrow key reads this");

        veil.command("keys", "export-escrow", "--out", escrow.toString(), "--unencrypted");
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
    }

    @Test
    void failuresAreOneLineAndExitOne() throws Exception {
        GatewayProcess veil = GatewayProcess.withKeys(dir.resolve("data"));
        Path password = dir.resolve("pw.txt");
        Files.writeString(password, "secret\n");
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        String out = dir.resolve("x.p12").toString();
        assertOneLine(veil.commandResult("keys", "export-user", "nobody@example.com", "--out", out, "--password-file",
                password.toString()), "nobody@example.com");
        assertOneLine(veil.commandResult("keys", "export-user", "nobody@example.com", "--format", "openpgp", "--out", out,
                "--password-file", password.toString()), "nobody@example.com");
        assertOneLine(veil.commandResult("keys", "export-user", ALICE, "--out", out, "--password-file",
                dir.resolve("missing.txt").toString()), "no such file or directory");
        assertOneLine(veil.commandResult("keys", "export-user", ALICE, "--out", out, "--password-file", empty.toString()),
                "empty");
        assertOneLine(veil.commandResult("keys", "export-user", ALICE, "--out", out), "no terminal");
        veil.command("keys", "rotate", ALICE, "--format", "smime");
        assertOneLine(veil.commandResult("keys", "export-user", ALICE, "--out", "/proc/x.p12", "--password-file",
                password.toString()), "/proc/x.p12");
        assertOneLine(veil.commandResult("keys", "export-escrow", "--out", "/proc/x", "--password-file",
                password.toString()), "/proc/x");

        Path garbage = dir.resolve("garbage.bin");
        Files.write(garbage, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        GatewayProcess.CommandResult imported = veil.commandResult("keys", "import", garbage.toString(), "--json");
        assertThat(imported.exit()).isEqualTo(1);
        JsonNode error = new ObjectMapper().readTree(imported.output().substring(imported.output().indexOf('{')));
        assertThat(error.get("error").asText()).isNotBlank();
    }

    @Test
    void theTrailingConfigFileWorksAfterOptionalArguments() throws Exception {
        Path data = dir.resolve("data");
        GatewayProcess veil = GatewayProcess.withKeys(data);
        // "keys rotate config.yml" and "policy check config.yml": the config file, not an address or a policy
        assertThat(veil.command("keys", "rotate", "--format", "smime")).contains("key(s) rotated");
        assertThat(veil.command("policy", "check")).contains(data.resolve("policy.yml") + ": ok");
        assertThat(veil.command("policy", "check", data.resolve("policy.yml").toString()))
                .contains(data.resolve("policy.yml") + ": ok");
        assertThat(veil.command("keys", "rotate", ALICE, "--format", "smime")).contains(ALICE);
    }

    @Test
    void showFindsVeilsOwnKeysAndListsTimesAlike() throws Exception {
        GatewayProcess veil = GatewayProcess.withKeys(dir.resolve("data"));
        veil.command("keys", "rotate", ALICE, "--format", "smime");
        JsonNode rotated = new ObjectMapper().readTree(jsonArray(veil.command("keys", "rotate", ALICE, "--format", "openpgp",
                "--json")));
        assertThat(rotated.get(0).get("notAfter").asText()).as("an OpenPGP key without expiry, as in keys list")
                .isEqualTo("never");
        JsonNode list = new ObjectMapper().readTree(jsonArray(veil.command("keys", "list", "--json")));
        String smime = null;
        String openpgp = null;
        String escrow = null;
        for (JsonNode k : list) {
            assertThat(k.get("notAfter").isTextual()).as(k.toString()).isTrue();
            String kind = k.get("kind").asText();
            if (kind.equals("user") && k.get("status").asText().equals("current")) {
                smime = k.get("fingerprint").asText();
            } else if (kind.equals("openpgp-user") && k.get("status").asText().equals("current")) {
                openpgp = k.get("fingerprint").asText();
            } else if (kind.equals("escrow")) {
                escrow = k.get("fingerprint").asText();
            }
        }
        String table = veil.command("keys", "list");
        assertThat(table).doesNotContain(" null ").containsPattern("(?m)^KIND +SUBJECT +NOT AFTER +STATUS +FINGERPRINT$");

        assertThat(veil.command("keys", "show", ALICE)).contains(smime).contains(openpgp);
        JsonNode byFingerprint = new ObjectMapper().readTree(jsonArray(veil.command("keys", "show", openpgp, "--json")));
        assertThat(byFingerprint).hasSize(1);
        assertThat(byFingerprint.get(0).get("kind").asText()).isEqualTo("openpgp-user");
        assertThat(byFingerprint.get(0).get("addresses").get(0).asText()).isEqualTo(ALICE);
        // as an imported OpenPGP key shows them: the primary key's creation time and the algorithms
        assertThat(java.time.Instant.parse(byFingerprint.get(0).get("notBefore").asText()))
                .isBetween(java.time.Instant.now().minusSeconds(600), java.time.Instant.now().plusSeconds(60));
        assertThat(byFingerprint.get(0).get("algorithm").asText()).isEqualTo("EdDSA 256 primary, ECDH 256 encryption subkey");
        assertThat(veil.command("keys", "show", escrow)).containsPattern("KIND +escrow");

        // without the master key, show says what is missing, as list does (a black-box probe's answered "Veil has
        // issued none" for a key whose file was there)
        Path master = dir.resolve("data").resolve("master.key");
        Files.move(master, dir.resolve("master.key.bak"));
        try {
            assertOneLine(veil.commandResult("keys", "show", ALICE), "no master key");
            assertOneLine(veil.commandResult("keys", "show", smime), "no master key");
            assertOneLine(veil.commandResult("keys", "list"), "no master key");
        } finally {
            Files.move(dir.resolve("master.key.bak"), master);
        }
    }

    @Test
    void anEmailAddressInASubjectIsShownAsE() throws Exception {
        GatewayProcess veil = GatewayProcess.withKeys(dir.resolve("data"));
        String bob = "bob@partner.example";
        Tools.run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "bob.key", "-out", "bob.pem",
                "-days", "30", "-subj", "/CN=Bob Partner/emailAddress=" + bob, "-addext", "subjectAltName=email:" + bob)
                .orFail("openssl req");
        veil.command("keys", "import", dir.resolve("bob.pem").toString());
        assertThat(veil.command("keys", "show", bob)).contains("E=" + bob).doesNotContain("1.2.840.113549.1.9.1");
    }

    private static void assertOneLine(GatewayProcess.CommandResult result, String mentioning) {
        assertThat(result.exit()).as(result.output()).isEqualTo(1);
        assertThat(result.output()).contains(mentioning).doesNotContain("\tat ").doesNotContain("Exception:");
    }

    private static String jsonArray(String output) {
        return output.startsWith("[") ? output : output.substring(output.indexOf("\n[") + 1);
    }
}
