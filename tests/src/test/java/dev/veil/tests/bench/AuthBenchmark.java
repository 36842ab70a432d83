package dev.veil.tests.bench;

import dev.veil.crypto.ArcSigningKey;
import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.MasterKey;
import dev.veil.gateway.auth.ArcSealer;
import dev.veil.gateway.auth.DkimChecker;
import dev.veil.gateway.auth.DnsResolver;
import dev.veil.tests.support.DkimTool;
import dev.veil.tests.support.TestDnsServer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sender authentication's CPU cost per message, at 5 KB and 50 KB, in operations per second:
 * <ul>
 *   <li>{@code arcSeal}: the arc-seal step's work — reading the message from its file, the body hash, header
 *       canonicalization and two RSA-2048 signatures; the step writes no copy (the new fields go in front of the
 *       message as it is relayed), and neither does this;
 *   <li>{@code arcSign}: one of those signatures alone; {@code -p nativeSigning=true,false} compares AWS-LC's
 *       two-prime signing with Java's three-prime;
 *   <li>{@code dkimVerify}: jDKIM verification of a message signed by python3-dkim (RSA-2048, relaxed/relaxed), the
 *       key from a real DNS server on loopback through Veil's resolver (cached after the first lookup, as in service).
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
public class AuthBenchmark {

    @State(Scope.Benchmark)
    public static class Fixture {
        @Param({"5", "50"})
        public int kilobytes;

        /**
         * {@code text}: lines of words, spaces and tabs (relaxed body canonicalization has work on every few bytes);
         * {@code base64}: 76-character lines, what the arc-seal step really sees after the encrypt step.
         */
        @Param({"text"})
        public String body;

        /** {@code true}: the seal signs in AWS-LC where it loads (a two-prime key); {@code false}: in Java (three). */
        @Param({"true"})
        public boolean nativeSigning;

        Path dir;
        Path message;
        TestDnsServer dns;
        ArcSealer sealer;
        ArcSigningKey arcKey;
        byte[] sealInput;
        DkimChecker checker;
        byte[] signed;
        HeaderBlock signedHeader;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            dir = Files.createTempDirectory("veil-auth-bench");
            StringBuilder text = new StringBuilder("From: Bob <bob@partner.example>\r\nTo: alice@example.com\r\n"
                    + "Subject: quarterly figures\r\nDate: Sun, 29 Nov 2026 12:00:00 +0000\r\n"
                    + "Message-ID: <bench@partner.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n");
            int line = 0;
            java.util.Random random = new java.util.Random(line);
            while (text.length() < kilobytes * 1024) {
                if (body.equals("base64")) {
                    byte[] bytes = new byte[57];
                    random.nextBytes(bytes);
                    text.append(java.util.Base64.getEncoder().encodeToString(bytes)).append("\r\n");
                } else {
                    text.append("Line ").append(line++).append(" of the report:  figures\tand  words, as mail has them.\r\n");
                }
            }
            byte[] original = text.toString().getBytes(StandardCharsets.US_ASCII);
            message = dir.resolve("message.eml");
            Files.write(message, original);
            dns = TestDnsServer.start();
            DnsResolver resolver = new DnsResolver(List.of(dns.address()), Duration.ofSeconds(2));
            arcKey = ArcSigningKey.openOrCreate(dir.resolve("keys"), MasterKey.generate(), nativeSigning);
            System.out.println("ARC key: " + arcKey);
            sealInput = java.util.Arrays.copyOf(original, 600); // about what an ARC-Seal signs
            sealer = new ArcSealer(arcKey.signingKey(), "seal.example", "veil", "veil.example", resolver);
            DkimTool.SigningKey key = DkimTool.newKey(dir);
            dns.txt("sel1._domainkey.partner.example", key.dnsTxt());
            signed = DkimTool.sign(key, "sel1", "partner.example", original);
            signedHeader = HeaderBlock.parse(signed);
            checker = new DkimChecker(resolver);
            if (checker.verify(signedHeader, this::body).get(0).status() != DkimChecker.Status.PASS) {
                throw new IllegalStateException("the benchmark message does not verify");
            }
        }

        ByteArrayInputStream body() {
            return new ByteArrayInputStream(signed, signedHeader.bodyOffset(), signed.length);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            dns.close();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Benchmark
    public Object arcSeal(Fixture f) throws Exception {
        return f.sealer.sealFields(f.message, List.of("spf=pass smtp.mailfrom=bob@partner.example",
                "dkim=pass header.d=partner.example", "dmarc=pass header.from=partner.example"), header -> List.of(),
                Instant.now());
    }

    /** One of the seal's two RSA-2048 signatures (SHA-256 of 600 bytes included). */
    @Benchmark
    public byte[] arcSign(Fixture f) {
        return f.arcKey.signingKey().signSha256(f.sealInput);
    }

    @Benchmark
    public Object dkimVerify(Fixture f) throws Exception {
        return f.checker.verify(f.signedHeader, f::body);
    }
}
