package dev.veil.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashes (RFC 9106) in the PHC string format that the {@code argon2} command line tool and
 * most libraries write: {@code $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH} (unpadded base64). New hashes use
 * OWASP's recommended minimum (19 MiB, 2 passes, 1 lane); stored hashes keep the parameters they were made with,
 * within bounds that keep one check affordable on a small machine.
 */
public final class PasswordHash {
    public static final int MEMORY_KIB = 19 * 1024;
    public static final int ITERATIONS = 2;
    public static final int PARALLELISM = 1;
    /** An upper bound so that a configured hash cannot make each login cost a gigabyte. */
    private static final int MAX_MEMORY_KIB = 256 * 1024;
    private static final int MAX_ITERATIONS = 20;
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,9}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{11,})\\$([A-Za-z0-9+/]{22,})");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int memoryKib;
    private final int iterations;
    private final int parallelism;
    private final byte[] salt;
    private final byte[] hash;

    private PasswordHash(int memoryKib, int iterations, int parallelism, byte[] salt, byte[] hash) {
        this.memoryKib = memoryKib;
        this.iterations = iterations;
        this.parallelism = parallelism;
        this.salt = salt;
        this.hash = hash;
    }

    /** A new hash of the password with a random 16-byte salt. */
    public static String hash(char[] password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        byte[] out = derive(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, 32);
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM + "$"
                + b64(salt) + "$" + b64(out);
    }

    /**
     * Reads a stored hash.
     *
     * @throws IllegalArgumentException saying what is wrong with it and how to make a good one
     */
    public static PasswordHash parse(String phc) {
        Matcher m = PHC.matcher(phc == null ? "" : phc.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not an Argon2id hash in PHC form ($argon2id$v=19$m=...,t=...,p=...$salt$hash);"
                    + " make one with 'veil hash-password'");
        }
        int memory = Integer.parseInt(m.group(1));
        int iterations = Integer.parseInt(m.group(2));
        int parallelism = Integer.parseInt(m.group(3));
        if (parallelism < 1 || memory < 8 * parallelism || memory > MAX_MEMORY_KIB || iterations < 1
                || iterations > MAX_ITERATIONS) {
            throw new IllegalArgumentException("Argon2id parameters out of range (m=" + memory + ", t=" + iterations
                    + ", p=" + parallelism + "; allowed: m up to " + MAX_MEMORY_KIB + " KiB, t 1.." + MAX_ITERATIONS + ")");
        }
        byte[] salt = Base64.getDecoder().decode(m.group(4));
        byte[] hash = Base64.getDecoder().decode(m.group(5));
        if (salt.length < 8 || hash.length < 16) {
            throw new IllegalArgumentException("Argon2id salt or hash too short (salt " + salt.length + " bytes, hash "
                    + hash.length + " bytes)");
        }
        return new PasswordHash(memory, iterations, parallelism, salt, hash);
    }

    /** True when the password matches; the comparison takes the same time wherever the first difference is. */
    public boolean matches(char[] password) {
        byte[] candidate = derive(password, salt, memoryKib, iterations, parallelism, hash.length);
        return MessageDigest.isEqual(candidate, hash);
    }

    private static byte[] derive(char[] password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
        Argon2Parameters parameters = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKib)
                .withIterations(iterations)
                .withParallelism(parallelism)
                .withSalt(salt)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(parameters);
        byte[] out = new byte[length];
        generator.generateBytes(new String(password).getBytes(StandardCharsets.UTF_8), out);
        return out;
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().withoutPadding().encodeToString(bytes);
    }
}
