package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.config.PolicyLoader;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil decrypt} of the bare ciphertext openssl and gpg write without a mail message around it: CMS as DER
 * (also BER with indefinite lengths, {@code -stream}) and PEM, OpenPGP binary and armored. Each gives back the
 * original byte for byte; a tampered DER file still yields nothing.
 */
class DecryptBareCiphertextTest {
    private static final String ORIGINAL = "From: alice@partner.example\r\nTo: bob@example.com\r\nSubject: bare\r\n\r\n"
            + "H\u00e9llo  \r\n.dot\r\nFrom the start\r\n";

    @TempDir
    Path dir;

    @Test
    void opensCmsAndOpenPgpWrittenByOpensslAndGpgWithoutAMessageAround() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("policy.yml"), PolicyLoader.exampleYaml()
                .replace("  formats: [smime]", "  formats: [smime, openpgp]"));
        GatewayProcess veil = GatewayProcess.withKeys(data);
        Path plain = dir.resolve("plain.eml");
        Files.writeString(plain, ORIGINAL);
        Path escrow = dir.resolve("escrow");
        veil.command("keys", "export-escrow", "--out", escrow.toString(), "--unencrypted");
        Files.writeString(dir.resolve("pw.txt"), "a passphrase\n");
        veil.command("keys", "export-escrow", "--format", "openpgp", "--out", escrow.toString(),
                "--password-file", dir.resolve("pw.txt").toString());
        String cert = escrow.resolve("escrow-cert.pem").toString();

        List<Path> bare = new ArrayList<>();
        bare.add(openssl("der.p7m", "cms", "-encrypt", "-aes-256-gcm", "-outform", "DER", cert));
        bare.add(openssl("ber.p7m", "cms", "-encrypt", "-stream", "-aes-256-cbc", "-outform", "DER", cert));
        bare.add(openssl("cms.pem", "cms", "-encrypt", "-aes-128-gcm", "-outform", "PEM", cert));
        bare.add(openssl("pkcs7.pem", "smime", "-encrypt", "-binary", "-aes256", "-outform", "PEM", cert));
        Path home = Files.createDirectory(dir.resolve("gnupg"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        try {
            gpg(home, "--import", escrow.resolve("escrow-public.asc").toString());
            gpg(home, "--trust-model", "always", "-r", "escrow", "--output", dir.resolve("binary.gpg").toString(),
                    "--encrypt", plain.toString());
            gpg(home, "--trust-model", "always", "--armor", "-r", "escrow", "--output", dir.resolve("armored.asc").toString(),
                    "--encrypt", plain.toString());
        } finally {
            Tools.run(dir, "gpgconf", "--homedir", home.toString(), "--kill", "gpg-agent");
        }
        bare.add(dir.resolve("binary.gpg"));
        bare.add(dir.resolve("armored.asc"));

        for (Path file : bare) {
            Path out = dir.resolve(file.getFileName() + ".out");
            GatewayProcess.CommandResult result = veil.commandResult("decrypt", file.toString(), "--out", out.toString());
            assertThat(result.exit()).as(file.getFileName() + ": " + result.output()).isZero();
            assertThat(result.output()).as(file.getFileName().toString()).contains("decrypted " + file + " with key ");
            assertThat(Files.readString(out)).as(file.getFileName().toString()).isEqualTo(ORIGINAL);
        }

        byte[] der = Files.readAllBytes(dir.resolve("der.p7m"));
        der[der.length - 40] ^= 1; // in the ciphertext or the tag: GCM must refuse it
        Path tampered = dir.resolve("tampered.p7m");
        Files.write(tampered, der);
        GatewayProcess.CommandResult refused = veil.commandResult("decrypt", tampered.toString(), "--out",
                dir.resolve("tampered.out").toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.output()).doesNotContain("\tat ");
        assertThat(dir.resolve("tampered.out")).doesNotExist();
    }

    private Path openssl(String name, String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args).subList(0, args.length - 1));
        command.addAll(List.of("-in", dir.resolve("plain.eml").toString(), "-out", dir.resolve(name).toString()));
        command.add(args[args.length - 1]); // the recipient certificate comes last
        Tools.run(dir, command).orFail(String.join(" ", command));
        return dir.resolve(name);
    }

    private static void gpg(Path home, String... args) {
        List<String> command = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--no-tty"));
        command.addAll(List.of(args));
        Tools.run(home, command).orFail("gpg " + String.join(" ", args));
    }
}
