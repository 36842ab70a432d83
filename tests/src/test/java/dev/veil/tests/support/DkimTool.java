package dev.veil.tests.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/**
 * Debian's python3-dkim as the independent party: a DKIM signer for the mail Veil receives and the ARC verifier of
 * what Veil relays ({@code src/test/resources/auth/dkim-tool.py}). Runs the system's /usr/bin/python3, where the
 * Debian package installs the module.
 */
public final class DkimTool {
    private DkimTool() {
    }

    /** An RSA-2048 signing key: the PKCS#1 PEM the signer reads, and the DNS TXT value that publishes it. */
    public record SigningKey(Path pem, String dnsTxt) {
    }

    public static SigningKey newKey(Path dir) throws Exception {
        return newKey(dir, 2048);
    }

    /** A key of another size (a weak one, to see it refused). */
    public static SigningKey newKey(Path dir, int bits) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(bits);
        KeyPair pair = generator.generateKeyPair();
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(pair.getPrivate());
        }
        Path file = dir.resolve("dkim-signer.pem");
        Files.writeString(file, pem.toString());
        return new SigningKey(file, "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()));
    }

    /**
     * An Ed25519 signing key (RFC 8463): the file python3-dkim reads (the base64 of the 32-byte seed) and the DNS TXT
     * value ({@code k=ed25519}, the raw 32-byte public key in base64).
     */
    public static SigningKey newEd25519Key(Path dir) throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] pkcs8 = pair.getPrivate().getEncoded(); // RFC 8410: the seed is the last 32 bytes
        byte[] spki = pair.getPublic().getEncoded(); // and so is the public key
        Path file = dir.resolve("dkim-signer.ed25519");
        Files.writeString(file, Base64.getEncoder().encodeToString(
                java.util.Arrays.copyOfRange(pkcs8, pkcs8.length - 32, pkcs8.length)));
        return new SigningKey(file, "v=DKIM1; k=ed25519; p=" + Base64.getEncoder().encodeToString(
                java.util.Arrays.copyOfRange(spki, spki.length - 32, spki.length)));
    }

    /** The message DKIM-signed by python3-dkim (rsa-sha256, relaxed/relaxed). */
    public static byte[] sign(SigningKey key, String selector, String domain, byte[] message) {
        return sign(key, selector, domain, message, "rsa-sha256");
    }

    /** The message DKIM-signed with another algorithm ({@code rsa-sha1}). */
    public static byte[] sign(SigningKey key, String selector, String domain, byte[] message, String algorithm) {
        Tools.Result r = run(message, "sign", key.pem().toString(), selector, domain, algorithm);
        if (r.exitCode() != 0) {
            throw new AssertionError("dkim-tool sign failed:\n" + r.output());
        }
        return r.output().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The message DKIM-signed (rsa-sha256) by a signer whose clock is {@code seconds} ahead of this one's. */
    public static byte[] signWithClockAhead(SigningKey key, String selector, String domain, byte[] message,
            long seconds) {
        Tools.Result r = run(Map.of("DKIM_TOOL_CLOCK_OFFSET", Long.toString(seconds)), message, "sign",
                key.pem().toString(), selector, domain);
        if (r.exitCode() != 0) {
            throw new AssertionError("dkim-tool sign failed:\n" + r.output());
        }
        return r.output().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** python3-dkim's arc_verify of a message, with DNS answered from {@code records} (name → TXT value). */
    public static Tools.Result arcVerify(byte[] message, Map<String, String> records, Path dir) throws IOException {
        StringBuilder zone = new StringBuilder();
        records.forEach((name, value) -> zone.append(name).append('\t').append(value).append('\n'));
        Path file = Files.createTempFile(dir, "arc-dns", ".txt");
        Files.writeString(file, zone);
        Tools.Result r = run(message, "arc-verify", file.toString());
        return new Tools.Result(r.exitCode(), new String(r.output().getBytes(StandardCharsets.ISO_8859_1),
                StandardCharsets.UTF_8));
    }

    /** Signs every file of {@code in} into {@code out}; the result lines say which ones the signer refused. */
    public static Tools.Result signAll(SigningKey key, String selector, String domain, Path in, Path out) {
        return signAll(key, selector, domain, in, out, "rsa-sha256");
    }

    /** {@link #signAll} with another algorithm ({@code ed25519-sha256} with an {@link #newEd25519Key} key). */
    public static Tools.Result signAll(SigningKey key, String selector, String domain, Path in, Path out,
            String algorithm) {
        return run(new byte[0], "sign-all", key.pem().toString(), selector, domain, in.toString(), out.toString(),
                algorithm);
    }

    /** arc_verify of every file in {@code dir}: one line {@code NAME cv=RESULT reason} each. */
    public static Tools.Result arcVerifyAll(Path dir, Map<String, String> records) throws IOException {
        StringBuilder zone = new StringBuilder();
        records.forEach((name, value) -> zone.append(name).append('\t').append(value).append('\n'));
        Path file = Files.createTempFile("arc-dns", ".txt");
        try {
            Files.writeString(file, zone);
            return run(new byte[0], "arc-verify-all", file.toString(), dir.toString());
        } finally {
            Files.deleteIfExists(file); // each run left one behind in /tmp
        }
    }

    private static Tools.Result run(byte[] stdin, String... args) {
        return run(Map.of(), stdin, args);
    }

    private static Tools.Result run(Map<String, String> environment, byte[] stdin, String... args) {
        try {
            Path script = Files.createTempFile("dkim-tool", ".py");
            try (InputStream in = DkimTool.class.getResourceAsStream("/auth/dkim-tool.py")) {
                Files.write(script, in.readAllBytes());
            }
            Path input = Files.createTempFile("dkim-tool", ".eml");
            Files.write(input, stdin);
            List<String> command = new ArrayList<>();
            command.add(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3");
            command.add(script.toString());
            command.addAll(List.of(args));
            ProcessBuilder builder = new ProcessBuilder(command).redirectInput(input.toFile()).redirectErrorStream(true);
            builder.environment().putAll(environment);
            Process p = builder.start();
            // ISO-8859-1 keeps the signed message's bytes one to one
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("dkim-tool did not finish in 300 s");
            }
            Files.deleteIfExists(script);
            Files.deleteIfExists(input);
            return new Tools.Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run python3 with python3-dkim (apt-get install python3-dkim)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
