package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.Tools;
import dev.veil.tests.support.VeilLauncher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil keys import|list|show|remove} with a partner's own keys, made by openssl and gpg as the partner would,
 * run as separate processes on a data directory with the organisation's keys.
 */
class ExternalKeysCommandTest {
    static final String BOB = "bob@partner.example";

    @TempDir
    Path dir;

    @Test
    void importListShowAndRemoveAPartnersCertificateAndOpenPgpKey() throws Exception {
        Path data = dir.resolve("data");
        GatewayProcess veil = GatewayProcess.withKeys(data);
        Tools.run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "bob.key", "-out", "bob.pem",
                "-days", "30", "-subj", "/CN=Bob Partner", "-addext", "subjectAltName=email:" + BOB).orFail("openssl req");
        String smimeFingerprint = Tools.run(dir, "openssl", "x509", "-in", "bob.pem", "-noout", "-fingerprint", "-sha256")
                .orFail("openssl x509").output().replaceAll("(?s).*=", "").replace(":", "").strip().toLowerCase(Locale.ROOT);
        Path home = dir.resolve("gnupg");
        Files.createDirectories(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        try {
            gpg(home, "--passphrase", "", "--quick-gen-key", "Bob Partner <" + BOB + ">", "future-default", "default", "never");
            gpg(home, "--armor", "--output", dir.resolve("bob.asc").toString(), "--export", BOB);
            gpg(home, "--armor", "--passphrase", "", "--pinentry-mode", "loopback",
                    "--output", dir.resolve("bob-secret.asc").toString(), "--export-secret-keys", BOB);
        } finally {
            Tools.run(dir, "gpgconf", "--homedir", home.toString(), "--kill", "gpg-agent");
        }

        String imported = veil.command("keys", "import", dir.resolve("bob.pem").toString());
        assertThat(imported.lines().filter(l -> l.startsWith("FORMAT"))).singleElement().asString()
                .matches("FORMAT +ADDRESS +FINGERPRINT +NOT AFTER +STATUS");
        assertThat(imported).containsPattern("smime +" + Pattern.quote(BOB) + " +" + smimeFingerprint + " +\\S+ +imported");
        assertThat(veil.command("keys", "import", dir.resolve("bob.pem").toString())).contains("already present");
        JsonNode pgpImport = new ObjectMapper().readTree(jsonOf(veil.command("keys", "import", dir.resolve("bob.asc").toString(), "--json")));
        assertThat(pgpImport).hasSize(1);
        assertThat(pgpImport.get(0).get("status").asText()).isEqualTo("imported");
        assertThat(pgpImport.get(0).get("format").asText()).isEqualTo("openpgp");
        assertThat(pgpImport.get(0).get("notAfter").asText()).as("a key without expiry, as keys list/show say")
                .isEqualTo("never");
        String pgpFingerprint = pgpImport.get(0).get("fingerprint").asText();
        assertThat(pgpFingerprint).hasSize(40);

        JsonNode list = new ObjectMapper().readTree(jsonOf(veil.command("keys", "list", "--json")));
        List<String> kinds = new ArrayList<>();
        list.forEach(k -> kinds.add(k.get("kind").asText() + " " + k.get("subject").asText() + " " + k.get("fingerprint").asText()));
        assertThat(kinds).contains("external-smime " + BOB + " " + smimeFingerprint, "external-openpgp " + BOB + " " + pgpFingerprint);
        assertThat(kinds).anyMatch(k -> k.startsWith("ca "));
        String table = veil.command("keys", "list");
        assertThat(table).containsPattern("external-smime +" + Pattern.quote(BOB) + " ");

        String shown = veil.command("keys", "show", BOB);
        assertThat(shown).contains(smimeFingerprint).contains(pgpFingerprint).contains("CN=Bob Partner")
                .containsPattern("ENCRYPTION KEY +[0-9a-f]{40}");
        JsonNode byFingerprint = new ObjectMapper().readTree(jsonOf(veil.command("keys", "show", pgpFingerprint, "--json")));
        assertThat(byFingerprint).hasSize(1);
        assertThat(byFingerprint.get(0).get("addresses").get(0).asText()).isEqualTo(BOB);

        // Private keys are refused, and "nothing imported" is exit 1 with the reason.
        Tools.Result secret = veil(data, "keys", "import", dir.resolve("bob-secret.asc").toString());
        assertThat(secret.exitCode()).as(secret.output()).isEqualTo(1);
        assertThat(secret.output()).contains("this file contains a private key; import only public keys");
        Files.writeString(dir.resolve("combined.pem"), Files.readString(dir.resolve("bob.key")) + Files.readString(dir.resolve("bob.pem")));
        assertThat(veil(data, "keys", "import", dir.resolve("combined.pem").toString()).exitCode()).isEqualTo(1);

        assertThat(veil.command("keys", "remove", smimeFingerprint)).contains("removed smime key " + smimeFingerprint + " for " + BOB);
        assertThat(veil.command("keys", "list")).doesNotContain("external-smime").contains("external-openpgp");
        assertThat(veil.command("keys", "remove", BOB)).contains("removed openpgp key " + pgpFingerprint);
        Tools.Result gone = veil(data, "keys", "show", BOB);
        assertThat(gone.exitCode()).isEqualTo(1);
        assertThat(gone.output()).contains("no key for " + BOB + ": Veil has issued none and none is imported");
    }

    private static void gpg(Path home, String... args) {
        List<String> command = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--no-tty"));
        command.addAll(List.of(args));
        Tools.run(home, command).orFail("gpg " + String.join(" ", args));
    }

    /** Runs a veil command that may fail; {@link GatewayProcess#command} has written the config already. */
    private Tools.Result veil(Path data, String... args) {
        List<String> arguments = new ArrayList<>(List.of(args));
        arguments.add(data.resolve("config.yml").toString());
        return Tools.run(data, VeilLauncher.command(List.of(), arguments));
    }

    /** The JSON document in a command's output (Dropwizard may log lines before it). */
    private static String jsonOf(String output) {
        Matcher start = Pattern.compile("(?m)^\\[").matcher(output);
        assertThat(start.find()).as(output).isTrue();
        return output.substring(start.start());
    }
}
