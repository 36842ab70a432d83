package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RsaSigningKeyTest {
    private static RsaSigningKey threePrimes;

    @BeforeAll
    static void generate() {
        threePrimes = RsaSigningKey.generate(2048, 3);
    }

    @Test
    void aGeneratedKeyHasThreePrimesAndAFull2048BitModulusAndItsSignaturesVerifyWithTheJdk() throws Exception {
        assertThat(threePrimes.bits()).isEqualTo(2048);
        assertThat(threePrimes.primeCount()).isEqualTo(3);
        Random random = new Random(7);
        for (int i = 0; i < 20; i++) {
            byte[] data = new byte[random.nextInt(3000)];
            random.nextBytes(data);
            byte[] signature = threePrimes.signSha256(data);
            assertThat(signature).hasSize(256);
            assertThat(jdkVerifies(threePrimes.publicKey(), data, signature)).isTrue();
            data = data.length == 0 ? new byte[] {1} : data;
            data[0] ^= 1;
            assertThat(jdkVerifies(threePrimes.publicKey(), data, signature)).as("signature over other data").isFalse();
        }
    }

    @Test
    void withATwoPrimeKeyItMakesTheJdksSignaturesByteForByte() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        RsaSigningKey key = RsaSigningKey.fromPkcs8(pair.getPrivate().getEncoded());
        assertThat(key.primeCount()).isEqualTo(2);
        assertThat(key.publicKey()).isEqualTo(pair.getPublic());
        Random random = new Random(11);
        for (int i = 0; i < 20; i++) {
            byte[] data = new byte[random.nextInt(2000)];
            random.nextBytes(data);
            Signature jdk = Signature.getInstance("SHA256withRSA");
            jdk.initSign(pair.getPrivate());
            jdk.update(data);
            assertThat(key.signSha256(data)).isEqualTo(jdk.sign());
        }
    }

    @Test
    void awsLcLoadsOnLinuxOnX8664() {
        // the ARC seal's speed depends on it: a library that silently stopped loading must fail a test, not just slow
        assumeTrue(System.getProperty("os.name").equals("Linux")
                && List.of("amd64", "x86_64").contains(System.getProperty("os.arch")), "ACCP ships for Linux x86-64");
        assertThat(NativeRsa.available()).as(NativeRsa.unavailableReason()).isTrue();
        assertThat(NativeRsa.description()).startsWith("AWS-LC (Amazon Corretto Crypto Provider 2.");
    }

    @Test
    void inAwsLcATwoPrimeKeyMakesTheJdksSignaturesByteForByteFromManyThreads() throws Exception {
        assumeTrue(NativeRsa.available(), "AWS-LC does not load here");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        RsaSigningKey java = RsaSigningKey.fromPkcs8(pair.getPrivate().getEncoded());
        RsaSigningKey inAwsLc = java.withNativeSigning();
        assertThat(java.engine()).isEqualTo("Java");
        assertThat(inAwsLc.engine()).startsWith("AWS-LC");
        assertThat(inAwsLc.publicKey()).isEqualTo(pair.getPublic());
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                results.add(threads.submit(() -> {
                    Random random = new Random(seed);
                    for (int i = 0; i < 50; i++) {
                        byte[] data = new byte[random.nextInt(2000)];
                        random.nextBytes(data);
                        Signature jdk = Signature.getInstance("SHA256withRSA");
                        jdk.initSign(pair.getPrivate());
                        jdk.update(data);
                        // PKCS#1 v1.5 is deterministic: one right signature, whoever makes it
                        if (!Arrays.equals(inAwsLc.signSha256(data), jdk.sign())) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aThreePrimeKeyDoesNotSignInAwsLc() {
        assertThatThrownBy(() -> threePrimes.withNativeSigning()).isInstanceOf(GeneralSecurityException.class)
                .hasMessageContaining("two-prime RSA keys only; this key has 3 primes");
    }

    @Test
    void pkcs8RoundTripsAndReadsAsTheSameKey() throws Exception {
        RsaSigningKey again = RsaSigningKey.fromPkcs8(threePrimes.pkcs8());
        byte[] data = "round trip".getBytes(StandardCharsets.US_ASCII);
        assertThat(again.publicKey()).isEqualTo(threePrimes.publicKey());
        assertThat(again.signSha256(data)).isEqualTo(threePrimes.signSha256(data));
    }

    @Test
    void openSslAcceptsTheKeyAndMakesTheSameSignatures(@TempDir Path dir) throws Exception {
        OpenSsl.assumeInstalled();
        Files.writeString(dir.resolve("veil.pem"), pem(threePrimes.pkcs8()));
        byte[] text = OpenSsl.run(dir, "pkey", "-in", "veil.pem", "-check", "-noout", "-text");
        assertThat(new String(text, StandardCharsets.US_ASCII)).contains("prime3:");
        byte[] data = "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.com; s=veil; b=".getBytes(StandardCharsets.US_ASCII);
        Files.write(dir.resolve("data"), data);
        OpenSsl.run(dir, "dgst", "-sha256", "-sign", "veil.pem", "-out", "openssl.sig", "data");
        assertThat(threePrimes.signSha256(data)).isEqualTo(Files.readAllBytes(dir.resolve("openssl.sig")));
    }

    @Test
    void aThreePrimeKeyOpenSslGeneratedSignsAsOpenSslDoes(@TempDir Path dir) throws Exception {
        OpenSsl.assumeInstalled();
        OpenSsl.run(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt",
                "rsa_keygen_primes:3", "-out", "openssl.pem");
        String pem = Files.readString(dir.resolve("openssl.pem"), StandardCharsets.US_ASCII);
        RsaSigningKey key = RsaSigningKey.fromPkcs8(Base64.getMimeDecoder().decode(
                pem.replaceAll("-----[A-Z ]+-----", "").strip()));
        assertThat(key.primeCount()).isEqualTo(3);
        byte[] data = new byte[777];
        new Random(3).nextBytes(data);
        Files.write(dir.resolve("data"), data);
        OpenSsl.run(dir, "dgst", "-sha256", "-sign", "openssl.pem", "-out", "openssl.sig", "data");
        assertThat(key.signSha256(data)).isEqualTo(Files.readAllBytes(dir.resolve("openssl.sig")));
    }

    @Test
    void aFaultInOneCrtBranchIsCaughtBeforeTheSignatureLeaves() {
        for (int prime = 0; prime < 3; prime++) {
            RsaSigningKey faulty = threePrimes.withFaultyExponent(prime);
            assertThatThrownBy(() -> faulty.signSha256(new byte[] {1, 2, 3}))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("failed its check");
        }
    }

    @Test
    void aKeyWhosePartsDoNotBelongTogetherIsRefused() throws Exception {
        for (int field = 3; field <= 8; field++) {
            byte[] changed = changeField(threePrimes.pkcs8(), field);
            assertThatThrownBy(() -> RsaSigningKey.fromPkcs8(changed)).as("field %d changed", field)
                    .isInstanceOf(GeneralSecurityException.class);
        }
        assertThatThrownBy(() -> RsaSigningKey.fromPkcs8(new byte[] {0x30, 0x03, 0x02, 0x01, 0x00}))
                .isInstanceOf(GeneralSecurityException.class);
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(256);
        assertThatThrownBy(() -> RsaSigningKey.fromPkcs8(ec.generateKeyPair().getPrivate().getEncoded()))
                .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("not an RSA key");
    }

    /** The key with RSAPrivateKey field {@code index} (3 = d ... 8 = coefficient) plus two. */
    private static byte[] changeField(byte[] pkcs8, int index) throws Exception {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8);
        ASN1Sequence key = ASN1Sequence.getInstance(info.parsePrivateKey());
        ASN1EncodableVector changed = new ASN1EncodableVector();
        for (int i = 0; i < key.size(); i++) {
            changed.add(i == index
                    ? new ASN1Integer(ASN1Integer.getInstance(key.getObjectAt(i)).getValue().add(BigInteger.TWO))
                    : key.getObjectAt(i));
        }
        return new PrivateKeyInfo(info.getPrivateKeyAlgorithm(), new DERSequence(changed)).getEncoded();
    }

    private static boolean jdkVerifies(PublicKey key, byte[] data, byte[] signature) throws Exception {
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(key);
        verifier.update(data);
        return verifier.verify(signature);
    }

    private static String pem(byte[] pkcs8) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pkcs8)
                + "\n-----END PRIVATE KEY-----\n";
    }
}
