package dev.veil.crypto;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.util.io.pem.PemHeader;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * The RSA-2048 key with which Veil seals relayed mail with ARC (RFC 8617). Created on first use in
 * {@code keys/arc-signing.pem}: the public key as a {@code PUBLIC KEY} block (what the admin publishes in DNS), the
 * private key wrapped under the master key like every other private key. Two processes starting at once agree on
 * one key (the file is published with link(2), the loser reads the winner's).
 *
 * <p>Every relayed message costs two signatures, so the key is made for the fastest signer this machine has. Where
 * AWS-LC loads ({@link NativeRsa}), a new key has two primes and signs there (0.26 ms a signature here); elsewhere it
 * has three ({@link RsaSigningKey}), which makes Java's signatures about twice as fast as two (0.44 ms against 0.83).
 * Verifiers see an ordinary RSA-2048 public key either way. A key is used as it was made: a three-prime key keeps
 * signing in Java, a two-prime key signs in Java where AWS-LC does not load.
 */
public final class ArcSigningKey {
    public static final String FILE = "arc-signing.pem";
    static final byte[] ASSOCIATED_DATA = "veil arc-signing key v1".getBytes(StandardCharsets.US_ASCII);

    private static final int BITS = 2048;
    /** For Java's signing: OpenSSL's limit for keys under 4096 bits (ossl_rsa_multip_cap), so openssl reads it. */
    private static final int JAVA_PRIMES = 3;

    private final PublicKey publicKey;
    private final RsaSigningKey signingKey;
    /** Why a two-prime key signs in Java although native signing was asked for, or null. */
    private final String nativeProblem;

    private ArcSigningKey(PublicKey publicKey, RsaSigningKey signingKey, String nativeProblem) {
        this.publicKey = publicKey;
        this.signingKey = signingKey;
        this.nativeProblem = nativeProblem;
    }

    /** Reads the key from {@code keyDir}, generating it first if there is none; signs in AWS-LC where it can. */
    public static ArcSigningKey openOrCreate(Path keyDir, MasterKey masterKey) throws KeyException {
        return openOrCreate(keyDir, masterKey, true);
    }

    /**
     * Reads the key from {@code keyDir}, generating it first if there is none.
     *
     * @param nativeSigning whether to sign in AWS-LC where it loads (and so make a new key with two primes)
     */
    public static ArcSigningKey openOrCreate(Path keyDir, MasterKey masterKey, boolean nativeSigning)
            throws KeyException {
        Path file = keyDir.resolve(FILE);
        try {
            if (!Files.exists(file)) {
                AtomicFiles.createDirectories(keyDir, AtomicFiles.OWNER_ONLY_DIR);
                RsaSigningKey key = RsaSigningKey.generate(BITS,
                        nativeSigning && NativeRsa.available() ? 2 : JAVA_PRIMES);
                byte[] pkcs8 = key.pkcs8();
                byte[] wrapped = masterKey.wrap(pkcs8, ASSOCIATED_DATA);
                Arrays.fill(pkcs8, (byte) 0);
                AtomicFiles.createIfAbsent(file, encode(key.publicKey(), wrapped), AtomicFiles.OWNER_ONLY);
            }
            return read(file, masterKey, nativeSigning);
        } catch (IOException e) {
            throw new KeyException("cannot create the ARC signing key " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** Reads an existing key file; fails if it is missing, damaged or wrapped under another master key. */
    public static ArcSigningKey read(Path file, MasterKey masterKey) throws KeyException {
        return read(file, masterKey, false);
    }

    private static ArcSigningKey read(Path file, MasterKey masterKey, boolean nativeSigning) throws KeyException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KeyException("cannot read the ARC signing key " + file.toAbsolutePath() + ": " + e.getMessage()
                    + " — it is created by the first `veil server` start", e);
        }
        try (PemReader pem = new PemReader(new InputStreamReader(new ByteArrayInputStream(content), StandardCharsets.US_ASCII))) {
            PemObject publicPem = pem.readPemObject();
            PemObject wrappedPem = pem.readPemObject();
            if (publicPem == null || !"PUBLIC KEY".equals(publicPem.getType()) || wrappedPem == null
                    || !KeyEntryFile.WRAPPED_KEY_TYPE.equals(wrappedPem.getType())) {
                throw new KeyException("ARC signing key file " + file + " is damaged: expected a PUBLIC KEY and a "
                        + KeyEntryFile.WRAPPED_KEY_TYPE + " block — restore it from backup (or delete it to make a new"
                        + " key, then publish the new DNS record)");
            }
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            PublicKey publicKey = rsa.generatePublic(new X509EncodedKeySpec(publicPem.getContent()));
            byte[] pkcs8 = masterKey.unwrap(wrappedPem.getContent(), ASSOCIATED_DATA);
            try {
                RsaSigningKey signingKey = RsaSigningKey.fromPkcs8(pkcs8);
                if (!signingKey.publicKey().equals(publicKey)) {
                    throw new KeyException("ARC signing key file " + file + " is damaged: its PUBLIC KEY is not the"
                            + " private key's — restore it from backup");
                }
                if (!nativeSigning || signingKey.primeCount() != 2) {
                    return new ArcSigningKey(publicKey, signingKey, null);
                }
                try {
                    return new ArcSigningKey(publicKey, signingKey.withNativeSigning(), null);
                } catch (GeneralSecurityException e) {
                    return new ArcSigningKey(publicKey, signingKey, e.getMessage());
                }
            } finally {
                Arrays.fill(pkcs8, (byte) 0);
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new KeyException("ARC signing key file " + file + " is damaged (" + e.getMessage()
                    + ") — restore it from backup", e);
        }
    }

    /**
     * Re-wraps the ARC key (if there is one in {@code keyDir}) under the master key's current key, for master key
     * rotation; returns 1 if it was re-wrapped, 0 if there is none or it already was.
     */
    public static int rewrap(Path keyDir, MasterKey masterKey) throws KeyException {
        Path file = keyDir.resolve(FILE);
        if (!Files.exists(file)) {
            return 0;
        }
        ArcSigningKey key = read(file, masterKey);
        try (PemReader pem = new PemReader(new InputStreamReader(Files.newInputStream(file), StandardCharsets.US_ASCII))) {
            pem.readPemObject();
            byte[] again = masterKey.rewrap(pem.readPemObject().getContent(), ASSOCIATED_DATA);
            if (again == null) {
                return 0;
            }
            AtomicFiles.replace(file, encode(key.publicKey, again), AtomicFiles.OWNER_ONLY);
            return 1;
        } catch (IOException e) {
            throw new KeyException("cannot re-wrap the ARC signing key " + file + ": " + e.getMessage(), e);
        }
    }

    static byte[] encode(PublicKey publicKey, byte[] wrapped) {
        StringWriter text = new StringWriter();
        try (PemWriter pem = new PemWriter(text)) {
            pem.writeObject(new PemObject("PUBLIC KEY", publicKey.getEncoded()));
            pem.writeObject(new PemObject(KeyEntryFile.WRAPPED_KEY_TYPE, List.of(
                    new PemHeader("Key-Id", "arc-signing"),
                    new PemHeader("Wrapping", "AES-256-GCM under the Veil master key, v1")), wrapped));
        } catch (IOException e) {
            throw new IllegalStateException("writing PEM to memory failed", e);
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** Signs for the seal (RSASSA-PKCS1-v1_5, SHA-256). */
    public RsaSigningKey signingKey() {
        return signingKey;
    }

    /** What signs, for the log: "AWS-LC (...)" or "Java". */
    public String signingEngine() {
        return signingKey.engine();
    }

    /** Why this two-prime key signs in Java although AWS-LC was asked for, or null. */
    public String nativeProblem() {
        return nativeProblem;
    }

    /** The value of the DNS TXT record at {@code SELECTOR._domainkey.DOMAIN} that lets verifiers check the seal. */
    public String dnsTxtValue() {
        return "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(publicKey.getEncoded());
    }

    @Override
    public String toString() {
        return "ArcSigningKey[RSA-" + signingKey.bits() + ", " + signingKey.primeCount() + " primes, signing in "
                + signingKey.engine() + ", private key redacted]";
    }
}
