package dev.veil.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs independent tools (openssl, curl, swaks) the way an admin would, and returns what they printed. */
public final class Tools {
    private Tools() {
    }

    public record Result(int exitCode, String output) {
        public Result orFail(String what) {
            if (exitCode != 0) {
                throw new AssertionError(what + " failed with exit code " + exitCode + ":\n" + output);
            }
            return this;
        }
    }

    public static Result run(Path workDir, String... command) {
        return run(workDir, List.of(command));
    }

    public static Result run(Path workDir, List<String> command) {
        try {
            Process p = new ProcessBuilder(command).directory(workDir == null ? null : workDir.toFile())
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in 120 s");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0) + " (is it installed? .ci/run installs it)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A one-shot {@code veil} command as an admin runs it, from the shaded jar ({@link VeilLauncher}), with
     * {@code jvmOptions} (such as {@code -Ddw.} overrides) before the main class.
     */
    public static Result veil(Path workDir, List<String> jvmOptions, String... args) {
        List<String> options = new ArrayList<>(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")); // start in half the CPU
        options.addAll(jvmOptions);
        return run(workDir, VeilLauncher.command(options, List.of(args)));
    }

    /** {@code openssl cms -decrypt}: the independent check that what Veil wrote is standard S/MIME. */
    public static Result opensslDecrypt(Path in, Path out, Path key, Path cert) {
        return cert == null
                ? run(null, "openssl", "cms", "-decrypt", "-in", in.toString(), "-inkey", key.toString(),
                        "-out", out.toString())
                : run(null, "openssl", "cms", "-decrypt", "-in", in.toString(), "-inkey", key.toString(),
                        "-recip", cert.toString(), "-out", out.toString());
    }

    /** Sends a file with curl's SMTP client. */
    public static Result curlSend(int port, String from, String to, Path message) {
        return run(null, "curl", "-sS", "--max-time", "60", "smtp://127.0.0.1:" + port + "/veil.test",
                "--mail-from", from, "--mail-rcpt", to, "--upload-file", message.toString());
    }
}
