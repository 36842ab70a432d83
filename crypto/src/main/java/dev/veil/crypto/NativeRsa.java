package dev.veil.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;

/**
 * RSASSA-PKCS1-v1_5 signing with SHA-256 in AWS-LC, through Amazon Corretto Crypto Provider (ACCP), for the ARC
 * seal: two signatures on every relayed message. On a 2-core AMD EPYC with AVX-512 IFMA an RSA-2048 signature takes
 * 0.26 ms here, against 0.44 ms for {@link RsaSigningKey}'s three-prime Java and 0.83 ms for the JDK's two-prime
 * Java. AWS-LC, like BoringSSL, blinds every private operation and checks its result with the public exponent before
 * returning it (rsa_impl.c, mod_exp), so a fault cannot give away a prime. AWS-LC signs with two-prime keys only.
 *
 * <p>The provider is used for this alone and is not installed in the JVM: everything else keeps the JDK's and Bouncy
 * Castle's code. ACCP's jar carries its native library for Linux on x86-64 and unpacks it into java.io.tmpdir; where it
 * cannot load (another platform, a tmpdir mounted noexec), {@link #available()} is false with the reason, and ARC
 * signs in Java.
 */
public final class NativeRsa {
    private static final Provider PROVIDER;
    private static final String UNAVAILABLE;

    static {
        Provider provider = null;
        String unavailable;
        try {
            AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
            accp.assertHealthy(); // the native library loaded and passed ACCP's self-tests
            provider = accp;
            unavailable = null;
        } catch (Throwable e) { // LinkageError included: a native library that does not load on this machine
            unavailable = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        PROVIDER = provider;
        UNAVAILABLE = unavailable;
    }

    private final PrivateKey key;
    /** Signature objects are not thread-safe; one per signing thread. */
    private final ThreadLocal<Signature> signatures;

    private NativeRsa(PrivateKey key) {
        this.key = key;
        this.signatures = ThreadLocal.withInitial(() -> {
            try {
                return Signature.getInstance("SHA256withRSA", PROVIDER);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AWS-LC SHA256withRSA went away after its self-test", e);
            }
        });
    }

    /** Whether AWS-LC loaded and signed on this machine. */
    public static boolean available() {
        return PROVIDER != null;
    }

    /** Why it did not, or null if it did. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** "AWS-LC (Amazon Corretto Crypto Provider 2.5.0)". */
    public static String description() {
        return PROVIDER == null ? "none" : "AWS-LC (Amazon Corretto Crypto Provider " + PROVIDER.getVersionStr() + ")";
    }

    /**
     * A signer for a two-prime key, tried once: its signature must verify with the JDK. Fails if AWS-LC is not
     * {@link #available()}, refuses the key or signs wrongly on this machine.
     */
    static NativeRsa forKey(RSAPrivateCrtKeySpec spec) throws GeneralSecurityException {
        if (PROVIDER == null) {
            throw new GeneralSecurityException("AWS-LC is not available: " + UNAVAILABLE);
        }
        NativeRsa signer = new NativeRsa(KeyFactory.getInstance("RSA", PROVIDER).generatePrivate(spec));
        byte[] probe = "veil: AWS-LC signing check".getBytes(StandardCharsets.US_ASCII);
        Signature jdk = Signature.getInstance("SHA256withRSA");
        jdk.initVerify(KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(spec.getModulus(),
                spec.getPublicExponent())));
        jdk.update(probe);
        if (!jdk.verify(signer.signSha256(probe))) {
            throw new SignatureException("AWS-LC made a signature that the JDK does not verify");
        }
        return signer;
    }

    byte[] signSha256(byte[] data) {
        Signature signature = signatures.get();
        try {
            signature.initSign(key);
            signature.update(data);
            return signature.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AWS-LC could not sign: " + e.getMessage(), e);
        }
    }
}
