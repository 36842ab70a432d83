package dev.veil.crypto;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.util.BigIntegers;

/**
 * An RSA private key of two or more primes (RFC 8017 section 3.2) that makes RSASSA-PKCS1-v1_5 signatures with
 * SHA-256 (section 8.2), computing with the Chinese remainder theorem over every prime (section 5.1.2).
 *
 * <p>Why not the JDK: it signs with two-prime keys only, and a signature is two exponentiations modulo 1024-bit
 * primes. With three primes of a 2048-bit modulus it is three modulo 683-bit primes, about half the work, and the
 * public key — all a verifier sees — is an ordinary RSA-2048 key. OpenSSL makes and reads such keys
 * ({@code genpkey -pkeyopt rsa_keygen_primes:3}; it allows three primes from 1024 to 4095 bits).
 *
 * <p>On machines where AWS-LC loads, a two-prime key signs there instead ({@link #withNativeSigning()}): faster than
 * this class's three primes.
 *
 * <p>Every signature is blinded (the exponentiations are not constant-time, so they never see the attacker's
 * number itself) and checked with the public exponent before it leaves: a fault in one CRT branch would otherwise
 * give away a prime factor in the faulty signature.
 */
public final class RsaSigningKey {
    /** RFC 8017 section 9.2 note 1: the DER DigestInfo prefix for SHA-256. */
    private static final byte[] SHA256_DIGEST_INFO = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, (byte) 0x86, 0x48, 0x01,
            0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    private static final BigInteger F4 = BigInteger.valueOf(65537);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final BigInteger modulus;
    private final BigInteger publicExponent;
    private final BigInteger privateExponent;
    /** r_1, r_2, ... (r_1 = p, r_2 = q). */
    private final BigInteger[] primes;
    /** d mod (r_i - 1). */
    private final BigInteger[] exponents;
    /** [1]: q^-1 mod p; [i >= 2]: (primes[0] ... primes[i-1])^-1 mod primes[i]; [0] unused. */
    private final BigInteger[] coefficients;
    private final int modulusBytes;
    /** Per thread, so that signing threads never wait for each other. */
    private final ThreadLocal<Blinding> blinding = new ThreadLocal<>();
    /** AWS-LC signing with this key ({@link #withNativeSigning()}), or null: this class's Java. */
    private final NativeRsa nativeSigner;

    /**
     * For a secret random r, per prime r_i: u[i] = r^e mod r_i and v[i] = r^-1 mod r_i. Blinding per prime rather
     * than modulo n keeps every multiplication at the primes' size, a fraction of the cost.
     */
    private record Blinding(BigInteger[] u, BigInteger[] v) {
    }

    private RsaSigningKey(BigInteger modulus, BigInteger publicExponent, BigInteger privateExponent, BigInteger[] primes,
            BigInteger[] exponents, BigInteger[] coefficients) {
        this(modulus, publicExponent, privateExponent, primes, exponents, coefficients, null);
    }

    private RsaSigningKey(BigInteger modulus, BigInteger publicExponent, BigInteger privateExponent, BigInteger[] primes,
            BigInteger[] exponents, BigInteger[] coefficients, NativeRsa nativeSigner) {
        this.nativeSigner = nativeSigner;
        this.modulus = modulus;
        this.publicExponent = publicExponent;
        this.privateExponent = privateExponent;
        this.primes = primes;
        this.exponents = exponents;
        this.coefficients = coefficients;
        this.modulusBytes = (modulus.bitLength() + 7) / 8;
    }

    /**
     * A new key of {@code bits} bits with {@code primeCount} primes of about equal size and public exponent 65537.
     * Every prime has its top two bits set (as the JDK's and OpenSSL's generators do); the last one is drawn again
     * until the modulus has exactly {@code bits} bits.
     */
    public static RsaSigningKey generate(int bits, int primeCount) {
        if (primeCount < 2 || bits < 1024 || bits / primeCount < 256) {
            throw new IllegalArgumentException("no RSA key of " + bits + " bits with " + primeCount + " primes");
        }
        while (true) {
            BigInteger[] primes = new BigInteger[primeCount];
            BigInteger product = BigInteger.ONE;
            int left = bits;
            for (int i = 0; i < primeCount; i++) {
                int size = left / (primeCount - i);
                left -= size;
                BigInteger prime;
                do {
                    prime = prime(size, primes, i);
                } while (i == primeCount - 1 && product.multiply(prime).bitLength() != bits);
                primes[i] = prime;
                product = product.multiply(prime);
            }
            BigInteger d = F4.modInverse(lambda(primes));
            if (d.bitLength() <= bits / 2) {
                continue; // FIPS 186-5 A.1.1: d > 2^(nlen/2); practically never happens
            }
            return fromPrimes(product, F4, d, primes);
        }
    }

    private static BigInteger prime(int size, BigInteger[] earlier, int count) {
        while (true) {
            BigInteger candidate = BigInteger.probablePrime(size, RANDOM);
            if (!candidate.testBit(size - 2) || candidate.mod(F4).equals(BigInteger.ONE)) {
                continue; // top two bits, and gcd(e, r - 1) = 1 (e is prime)
            }
            boolean fresh = true;
            for (int i = 0; i < count; i++) {
                fresh &= !earlier[i].equals(candidate);
            }
            if (fresh) {
                return candidate;
            }
        }
    }

    /** Carmichael's function of the modulus: the least common multiple of every r_i - 1. */
    private static BigInteger lambda(BigInteger[] primes) {
        BigInteger lambda = BigInteger.ONE;
        for (BigInteger prime : primes) {
            BigInteger pm1 = prime.subtract(BigInteger.ONE);
            lambda = lambda.divide(lambda.gcd(pm1)).multiply(pm1);
        }
        return lambda;
    }

    /** The key made of n, e, d and the primes, with the CRT exponents and coefficients derived from them. */
    private static RsaSigningKey fromPrimes(BigInteger n, BigInteger e, BigInteger d, BigInteger[] primes) {
        BigInteger[] exponents = new BigInteger[primes.length];
        BigInteger[] coefficients = new BigInteger[primes.length];
        for (int i = 0; i < primes.length; i++) {
            exponents[i] = d.mod(primes[i].subtract(BigInteger.ONE));
        }
        coefficients[1] = primes[1].modInverse(primes[0]);
        BigInteger product = primes[0].multiply(primes[1]);
        for (int i = 2; i < primes.length; i++) {
            coefficients[i] = product.modInverse(primes[i]);
            product = product.multiply(primes[i]);
        }
        return new RsaSigningKey(n, e, d, primes, exponents, coefficients);
    }

    /**
     * Reads a PKCS#8 PrivateKeyInfo holding a PKCS#1 RSAPrivateKey, two-prime (version 0) or multi-prime (version 1,
     * otherPrimeInfos), and checks that its parts belong together.
     */
    public static RsaSigningKey fromPkcs8(byte[] der) throws GeneralSecurityException {
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(der);
            if (!PKCSObjectIdentifiers.rsaEncryption.equals(info.getPrivateKeyAlgorithm().getAlgorithm())) {
                throw new GeneralSecurityException("not an RSA key: " + info.getPrivateKeyAlgorithm().getAlgorithm());
            }
            ASN1Sequence key = ASN1Sequence.getInstance(info.parsePrivateKey());
            int version = ASN1Integer.getInstance(key.getObjectAt(0)).intValueExact();
            if (version != 0 && version != 1 || key.size() != (version == 0 ? 9 : 10)) {
                throw new GeneralSecurityException("not a PKCS#1 RSAPrivateKey (version " + version + ", " + key.size()
                        + " fields)");
            }
            BigInteger n = integer(key, 1);
            BigInteger e = integer(key, 2);
            BigInteger d = integer(key, 3);
            List<BigInteger> primes = new ArrayList<>(List.of(integer(key, 4), integer(key, 5)));
            List<BigInteger> exponents = new ArrayList<>(List.of(integer(key, 6), integer(key, 7)));
            List<BigInteger> coefficients = new ArrayList<>(Arrays.asList(null, integer(key, 8)));
            if (version == 1) {
                for (var other : ASN1Sequence.getInstance(key.getObjectAt(9))) {
                    ASN1Sequence info3 = ASN1Sequence.getInstance(other);
                    if (info3.size() != 3) {
                        throw new GeneralSecurityException("an OtherPrimeInfo has " + info3.size() + " fields, not 3");
                    }
                    primes.add(integer(info3, 0));
                    exponents.add(integer(info3, 1));
                    coefficients.add(integer(info3, 2));
                }
            }
            RsaSigningKey parsed = new RsaSigningKey(n, e, d, primes.toArray(BigInteger[]::new),
                    exponents.toArray(BigInteger[]::new), coefficients.toArray(BigInteger[]::new));
            parsed.check();
            return parsed;
        } catch (IOException | IllegalArgumentException | ClassCastException | ArithmeticException
                | IndexOutOfBoundsException e) {
            throw new GeneralSecurityException("not a readable RSA private key: " + e.getMessage(), e);
        }
    }

    private static BigInteger integer(ASN1Sequence sequence, int index) {
        return ASN1Integer.getInstance(sequence.getObjectAt(index)).getValue();
    }

    /**
     * Every part against the others: a damaged or mixed-up key must not sign (nor leak through a wrong CRT part). The
     * CRT exponents and coefficients must be the ones the primes and d give.
     */
    private void check() throws GeneralSecurityException {
        BigInteger product = BigInteger.ONE;
        for (BigInteger prime : primes) {
            if (prime.signum() <= 0 || !prime.testBit(0)) {
                throw new GeneralSecurityException("a prime of the key is not an odd positive number");
            }
            product = product.multiply(prime);
        }
        if (!product.equals(modulus)
                || !publicExponent.multiply(privateExponent).mod(lambda(primes)).equals(BigInteger.ONE)) {
            throw new GeneralSecurityException("the primes and exponents do not make this RSA key");
        }
        RsaSigningKey derived = fromPrimes(modulus, publicExponent, privateExponent, primes);
        for (int i = 0; i < primes.length; i++) {
            if (!exponents[i].equals(derived.exponents[i])) {
                throw new GeneralSecurityException("the CRT exponent of prime " + (i + 1) + " does not fit the key");
            }
            if (i > 0 && !coefficients[i].equals(derived.coefficients[i])) {
                throw new GeneralSecurityException("CRT coefficient " + i + " does not fit the key");
            }
        }
    }

    /** The PKCS#8 PrivateKeyInfo: a version 1 RSAPrivateKey with otherPrimeInfos if there are more than two primes. */
    public byte[] pkcs8() {
        ASN1EncodableVector key = new ASN1EncodableVector();
        key.add(new ASN1Integer(primes.length > 2 ? 1 : 0));
        for (BigInteger value : new BigInteger[] {modulus, publicExponent, privateExponent, primes[0], primes[1],
                exponents[0], exponents[1], coefficients[1]}) {
            key.add(new ASN1Integer(value));
        }
        if (primes.length > 2) {
            ASN1EncodableVector others = new ASN1EncodableVector();
            for (int i = 2; i < primes.length; i++) {
                others.add(new DERSequence(new ASN1Integer[] {new ASN1Integer(primes[i]), new ASN1Integer(exponents[i]),
                        new ASN1Integer(coefficients[i])}));
            }
            key.add(new DERSequence(others));
        }
        try {
            return new PrivateKeyInfo(new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                    new DERSequence(key)).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("DER encoding in memory failed", e);
        }
    }

    public PublicKey publicKey() {
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(modulus, publicExponent));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA is not available in this JDK", e);
        }
    }

    /**
     * The same key, signing in AWS-LC ({@link NativeRsa}): for a two-prime key on a machine where it loads. Throws
     * for a key of more primes (AWS-LC has no multi-prime RSA) or when AWS-LC is not available or signs wrongly.
     */
    public RsaSigningKey withNativeSigning() throws GeneralSecurityException {
        if (primes.length != 2) {
            throw new GeneralSecurityException("AWS-LC signs with two-prime RSA keys only; this key has "
                    + primes.length + " primes");
        }
        NativeRsa signer = NativeRsa.forKey(new RSAPrivateCrtKeySpec(modulus, publicExponent, privateExponent,
                primes[0], primes[1], exponents[0], exponents[1], coefficients[1]));
        return new RsaSigningKey(modulus, publicExponent, privateExponent, primes, exponents, coefficients, signer);
    }

    /** What makes its signatures, for the log: "AWS-LC (...)" or "Java". */
    public String engine() {
        return nativeSigner != null ? NativeRsa.description() : "Java";
    }

    public int bits() {
        return modulus.bitLength();
    }

    public int primeCount() {
        return primes.length;
    }

    /** RSASSA-PKCS1-v1_5 with SHA-256 over {@code data}: the signature, as many bytes as the modulus. */
    public byte[] signSha256(byte[] data) {
        if (nativeSigner != null) {
            return nativeSigner.signSha256(data);
        }
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        }
        // EMSA-PKCS1-v1_5 (section 9.2): 00 01 FF..FF 00 DigestInfo
        byte[] encoded = new byte[modulusBytes];
        int t = SHA256_DIGEST_INFO.length + hash.length;
        if (modulusBytes < t + 11) {
            throw new IllegalStateException("the RSA modulus is too short for SHA-256 signatures");
        }
        encoded[1] = 0x01;
        Arrays.fill(encoded, 2, modulusBytes - t - 1, (byte) 0xff);
        System.arraycopy(SHA256_DIGEST_INFO, 0, encoded, modulusBytes - t, SHA256_DIGEST_INFO.length);
        System.arraycopy(hash, 0, encoded, modulusBytes - hash.length, hash.length);
        BigInteger message = new BigInteger(1, encoded);

        BigInteger signature = privateOperation(message, nextBlinding());
        if (!signature.modPow(publicExponent, modulus).equals(message)) {
            throw new IllegalStateException("RSA signature failed its check (a fault in the computation); not used");
        }
        return BigIntegers.asUnsignedByteArray(modulusBytes, signature);
    }

    /**
     * RSASP1 with CRT over every prime (RFC 8017 section 5.1.2, step 2b), blinded: each exponentiation gets
     * (c * r^e)^(d_i) = c^(d_i) * r mod r_i, and the r is taken out again before the parts are put together.
     */
    private BigInteger privateOperation(BigInteger c, Blinding blind) {
        BigInteger m = part(c, 1, blind); // m_2
        BigInteger h = part(c, 0, blind).subtract(m).multiply(coefficients[1]).mod(primes[0]);
        m = m.add(primes[1].multiply(h));
        BigInteger r = primes[0];
        for (int i = 2; i < primes.length; i++) {
            r = r.multiply(primes[i - 1]);
            h = part(c, i, blind).subtract(m).multiply(coefficients[i]).mod(primes[i]);
            m = m.add(r.multiply(h));
        }
        return m;
    }

    /** c^(d_i) mod r_i, computed on the blinded c. */
    private BigInteger part(BigInteger c, int i, Blinding blind) {
        BigInteger prime = primes[i];
        return c.mod(prime).multiply(blind.u()[i]).mod(prime).modPow(exponents[i], prime)
                .multiply(blind.v()[i]).mod(prime);
    }

    /**
     * The next blinding pair. As in the JDK's RSACore, a pair is used once and then squared ((r^2)^e = u^2,
     * (r^2)^-1 = v^2), which is far cheaper than a fresh r.
     */
    private Blinding nextBlinding() {
        Blinding current = blinding.get();
        if (current == null) {
            BigInteger r;
            do {
                r = new BigInteger(modulus.bitLength() - 1, RANDOM);
            } while (r.signum() == 0 || !r.gcd(modulus).equals(BigInteger.ONE));
            BigInteger[] u = new BigInteger[primes.length];
            BigInteger[] v = new BigInteger[primes.length];
            for (int i = 0; i < primes.length; i++) {
                u[i] = r.modPow(publicExponent, primes[i]);
                v[i] = r.modInverse(primes[i]);
            }
            current = new Blinding(u, v);
        }
        BigInteger[] u = new BigInteger[primes.length];
        BigInteger[] v = new BigInteger[primes.length];
        for (int i = 0; i < primes.length; i++) {
            u[i] = current.u()[i].multiply(current.u()[i]).mod(primes[i]);
            v[i] = current.v()[i].multiply(current.v()[i]).mod(primes[i]);
        }
        blinding.set(new Blinding(u, v));
        return current;
    }

    /** For tests: the same key with one CRT exponent changed, to show that a faulty signature is caught. */
    RsaSigningKey withFaultyExponent(int prime) {
        BigInteger[] changed = exponents.clone();
        changed[prime] = changed[prime].add(BigInteger.TWO);
        return new RsaSigningKey(modulus, publicExponent, privateExponent, primes, changed, coefficients);
    }

    @Override
    public String toString() {
        return "RsaSigningKey[RSA-" + bits() + ", " + primes.length + " primes, private parts redacted]";
    }
}
