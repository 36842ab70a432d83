package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * GnuPG (Debian 12: 2.2) in its own home directory: the independent OpenPGP implementation Veil's output must
 * satisfy. Create one per test class and {@link #close()} it (stops its gpg-agent).
 */
final class Gpg implements AutoCloseable {
    static final String PASSPHRASE = "correct horse battery staple";

    final Path home;

    Gpg(Path home) throws IOException {
        this.home = home;
        Files.createDirectories(home);
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        // The agent re-protects imported keys with a count calibrated to 100 ms and unprotects them for every
        // decryption: with the minimum count a loop over the corpus takes seconds instead of a minute.
        Files.writeString(home.resolve("gpg-agent.conf"), "s2k-count 65536\n");
    }

    /** Runs gpg in batch mode with loopback pinentry and {@link #PASSPHRASE}, in {@code dir}, asserting success. */
    byte[] run(Path dir, String... arguments) throws IOException, InterruptedException {
        Result result = attempt(dir, arguments);
        assertThat(result.exit).as("gpg %s failed: %s", String.join(" ", arguments), result.stderr).isZero();
        return result.stdout;
    }

    Result attempt(Path dir, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--no-tty",
                "--pinentry-mode", "loopback", "--passphrase", PASSPHRASE));
        command.addAll(List.of(arguments));
        Path stderr = Files.createTempFile(dir, "gpg-stderr", ".txt");
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectError(stderr.toFile()).start();
        process.getOutputStream().close();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        process.getInputStream().transferTo(stdout);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("gpg timed out").isTrue();
        String errors = Files.readString(stderr, StandardCharsets.UTF_8);
        Files.delete(stderr);
        return new Result(process.exitValue(), stdout.toByteArray(), errors);
    }

    record Result(int exit, byte[] stdout, String stderr) {
    }

    @Override
    public void close() {
        try {
            new ProcessBuilder("gpgconf", "--homedir", home.toString(), "--kill", "gpg-agent")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(30, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException ignored) {
            // agent exits by itself when its socket directory is gone
        }
    }
}
