package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import dev.veil.config.PolicyLoader;
import dev.veil.tests.support.Corpus;
import dev.veil.tests.support.ExchangeAndVeil;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.Tools;
import dev.veil.tests.support.VeilReceived;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rule with {@code format: openpgp}: Exchange receives PGP/MIME (RFC 3156), and GnuPG 2.2 — with the escrow key
 * exported by {@code veil keys export-escrow --format openpgp} — gives back the original, byte for byte. After the
 * reader's key is rotated, {@code veil keys export-user --format openpgp --with-retired} gives gpg both keys.
 */
class OpenPgpEndToEndTest {
    private static final String PASSPHRASE = "escrow passphrase for the test";
    private static final List<String> SAMPLES = List.of("plain-", "8bit-", "charset-", "nested-", "boundary-",
            "headers-", "encoding-", "calendar-", "huge-", "smime-");
    @TempDir
    Path dir;

    @Test
    void openPgpRuleRelaysPgpMimeThatGpgDecryptsToTheOriginal() throws Exception {
        Path gnupg = Files.createDirectory(dir.resolve("gnupg"));
        Files.setPosixFilePermissions(gnupg, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        try (ExchangeAndVeil started = ExchangeAndVeil.start(dir.resolve("veil-data"), PolicyLoader.exampleYaml()
                .replace("  formats: [smime]", "  formats: [smime, openpgp]")
                .replace("      format: smime\n", "      format: openpgp\n"))) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil();
            Path passphrase = dir.resolve("passphrase.txt");
            Files.writeString(passphrase, PASSPHRASE + "\n");
            Path escrow = dir.resolve("escrow");
            veil.command("keys", "export-escrow", "--format", "openpgp", "--out", escrow.toString(),
                    "--password-file", passphrase.toString());
            gpg(gnupg, "--import", escrow.resolve("escrow-secret.asc").toString()).orFail("gpg --import");

            List<String> failures = new ArrayList<>();
            int n = 0;
            for (Path file : Corpus.messages()) {
                String name = file.getFileName().toString();
                if (SAMPLES.stream().noneMatch(name::startsWith) || n >= 20) {
                    continue;
                }
                byte[] original = Corpus.asSmtpData(Files.readAllBytes(file));
                Path sent = dir.resolve("sent.eml");
                Files.write(sent, original);
                Tools.curlSend(veil.smtpPort(), "sender@partner.example", "reader@example.com", sent).orFail("curl");
                byte[] queued = Corpus.asQueued(original); // what decryption gives back below Veil's Received field
                n++;
                if (!exchange.waitForIncomingEmail(30_000, n)) {
                    failures.add(name + ": did not arrive");
                    break;
                }
                ByteArrayOutputStream raw = new ByteArrayOutputStream();
                exchange.getReceivedMessages()[n - 1].writeTo(raw);
                String outside = raw.toString(StandardCharsets.ISO_8859_1);
                if (!outside.contains("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"")
                        || !outside.contains("Subject: [encrypted]")) {
                    failures.add(name + ": not PGP/MIME with the placeholder subject");
                    continue;
                }
                int begin = outside.indexOf("-----BEGIN PGP MESSAGE-----");
                int end = outside.indexOf("-----END PGP MESSAGE-----");
                Path armored = dir.resolve("part2.asc");
                Files.writeString(armored, outside.substring(begin, end) + "-----END PGP MESSAGE-----\r\n",
                        StandardCharsets.ISO_8859_1);
                Path out = dir.resolve("decrypted-" + n + ".eml");
                Tools.Result r = gpg(gnupg, "--output", out.toString(), "--decrypt", armored.toString());
                if (r.exitCode() != 0) {
                    failures.add(name + ": gpg --decrypt failed: " + r.output());
                } else if (!java.util.Arrays.equals(VeilReceived.strippedOrNull(Files.readAllBytes(out)), queued)) {
                    failures.add(name + ": gpg's plaintext differs from the original");
                }
                if (n == 1) {
                    Files.copy(armored, dir.resolve("first.asc"));
                    Files.write(dir.resolve("first-original.eml"), queued);
                    Path received = dir.resolve("received.eml");
                    Files.write(received, raw.toByteArray());
                    Path byVeil = dir.resolve("by-veil.eml");
                    veil.command("decrypt", received.toString(), "--out", byVeil.toString());
                    if (!java.util.Arrays.equals(VeilReceived.strippedOrNull(Files.readAllBytes(byVeil)), queued)) {
                        failures.add(name + ": veil decrypt differs from the original");
                    }
                }
            }
            assertThat(n).isGreaterThanOrEqualTo(10);
            assertThat(failures).isEmpty();

            // the reader's own key, rotated: one export with the retired key opens mail from before and after
            assertThat(veil.command("keys", "rotate", "reader@example.com", "--format", "openpgp")).contains("reader@example.com");
            Path sent = dir.resolve("sent.eml");
            Files.writeString(sent, "From: sender@partner.example\r\nTo: reader@example.com\r\nSubject: after\r\n\r\n"
                    + "after the rotation\r\n");
            Tools.curlSend(veil.smtpPort(), "sender@partner.example", "reader@example.com", sent).orFail("curl");
            assertThat(exchange.waitForIncomingEmail(30_000, n + 1)).isTrue();
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            exchange.getReceivedMessages()[n].writeTo(raw);
            String outside = raw.toString(StandardCharsets.ISO_8859_1);
            Path second = dir.resolve("second.asc");
            Files.writeString(second, outside.substring(outside.indexOf("-----BEGIN PGP MESSAGE-----"),
                    outside.indexOf("-----END PGP MESSAGE-----")) + "-----END PGP MESSAGE-----\r\n",
                    StandardCharsets.ISO_8859_1);
            Path readerKeys = dir.resolve("reader.asc");
            assertThat(veil.command("keys", "export-user", "reader@example.com", "--format", "openpgp", "--out",
                    readerKeys.toString(), "--password-file", passphrase.toString(), "--with-retired"))
                    .contains("with 1 retired key(s)");
            Path readerHome = Files.createDirectory(dir.resolve("gnupg-reader"));
            Files.setPosixFilePermissions(readerHome, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            try {
                gpg(readerHome, "--import", readerKeys.toString()).orFail("gpg --import");
                Path firstOut = dir.resolve("first-by-reader.eml");
                gpg(readerHome, "--output", firstOut.toString(), "--decrypt", dir.resolve("first.asc").toString())
                        .orFail("gpg --decrypt of mail from before the rotation");
                assertThat(VeilReceived.stripped(Files.readAllBytes(firstOut)))
                        .isEqualTo(Files.readAllBytes(dir.resolve("first-original.eml")));
                Path secondOut = dir.resolve("second-by-reader.eml");
                gpg(readerHome, "--output", secondOut.toString(), "--decrypt", second.toString())
                        .orFail("gpg --decrypt of mail from after the rotation");
                assertThat(Files.readString(secondOut)).contains("after the rotation");
            } finally {
                Tools.run(null, "gpgconf", "--homedir", readerHome.toString(), "--kill", "gpg-agent");
            }
        } finally {
            Tools.run(null, "gpgconf", "--homedir", gnupg.toString(), "--kill", "gpg-agent");
        }
    }

    private static Tools.Result gpg(Path home, String... args) {
        List<String> command = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--yes",
                "--pinentry-mode", "loopback", "--passphrase", PASSPHRASE));
        command.addAll(List.of(args));
        return Tools.run(null, command);
    }
}
