package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the openssl command line: the independent implementation our output must satisfy. */
final class OpenSsl {
    private OpenSsl() {
    }

    static void assumeInstalled() {
        boolean installed;
        try {
            installed = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            installed = false;
        }
        assumeTrue(installed, "openssl is not installed");
    }

    /** Runs openssl with these arguments, in {@code dir}, asserting success; returns stdout. */
    static byte[] run(Path dir, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectError(dir.resolve("openssl-stderr.txt").toFile()).start();
        process.getOutputStream().close();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        process.getInputStream().transferTo(stdout);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stderr = java.nio.file.Files.readString(dir.resolve("openssl-stderr.txt"), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("openssl %s failed: %s", String.join(" ", arguments), stderr).isZero();
        return stdout.toByteArray();
    }
}
