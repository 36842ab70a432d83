package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArcSigningKeyTest {
    private static final byte[] DATA = "arc-seal input".getBytes(StandardCharsets.US_ASCII);

    @Test
    void whereAwsLcLoadsANewKeyHasTwoPrimesAndSignsThere(@TempDir Path dir) throws Exception {
        assumeTrue(NativeRsa.available(), "AWS-LC does not load here");
        MasterKey master = MasterKey.generate();
        ArcSigningKey created = ArcSigningKey.openOrCreate(dir, master);
        assertThat(created.signingKey().bits()).isEqualTo(2048);
        assertThat(created.signingKey().primeCount()).isEqualTo(2);
        assertThat(created.signingEngine()).startsWith("AWS-LC (Amazon Corretto Crypto Provider");
        assertThat(created.nativeProblem()).isNull();
        assertThat(created.toString()).startsWith("ArcSigningKey[RSA-2048, 2 primes, signing in AWS-LC")
                .endsWith(", private key redacted]");
        assertThat(verifies(created.publicKey(), created.signingKey().signSha256(DATA))).isTrue();

        // the same file without native signing: the same key, signing in Java, the same (deterministic) signature
        ArcSigningKey inJava = ArcSigningKey.openOrCreate(dir, master, false);
        assertThat(inJava.publicKey()).isEqualTo(created.publicKey());
        assertThat(inJava.signingEngine()).isEqualTo("Java");
        assertThat(inJava.signingKey().signSha256(DATA)).isEqualTo(created.signingKey().signSha256(DATA));
    }

    @Test
    void withoutNativeSigningANewKeyIsRsa2048WithThreePrimesAndReadsBackTheSame(@TempDir Path dir) throws Exception {
        MasterKey master = MasterKey.generate();
        ArcSigningKey created = ArcSigningKey.openOrCreate(dir, master, false);
        assertThat(created.signingKey().bits()).isEqualTo(2048);
        assertThat(created.signingKey().primeCount()).isEqualTo(3);
        assertThat(created.toString()).isEqualTo("ArcSigningKey[RSA-2048, 3 primes, signing in Java, private key redacted]");
        // a three-prime key keeps signing in Java when native signing is asked for: AWS-LC has no multi-prime RSA
        ArcSigningKey read = ArcSigningKey.openOrCreate(dir, master);
        assertThat(read.signingEngine()).isEqualTo("Java");
        assertThat(read.publicKey()).isEqualTo(created.publicKey());
        assertThat(verifies(read.publicKey(), read.signingKey().signSha256(DATA))).isTrue();
        assertThat(read.dnsTxtValue()).isEqualTo("v=DKIM1; k=rsa; p="
                + Base64.getEncoder().encodeToString(created.publicKey().getEncoded()));
    }

    @Test
    void aTwoPrimeKeyFileFromBeforeStillSigns(@TempDir Path dir) throws Exception {
        MasterKey master = MasterKey.generate();
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        Files.write(dir.resolve(ArcSigningKey.FILE), ArcSigningKey.encode(pair.getPublic(),
                master.wrap(pair.getPrivate().getEncoded(), ArcSigningKey.ASSOCIATED_DATA)));

        ArcSigningKey read = ArcSigningKey.openOrCreate(dir, master);
        assertThat(read.signingKey().primeCount()).isEqualTo(2);
        assertThat(read.publicKey()).isEqualTo(pair.getPublic());
        Signature jdk = Signature.getInstance("SHA256withRSA");
        jdk.initSign(pair.getPrivate());
        jdk.update(DATA);
        assertThat(read.signingKey().signSha256(DATA)).isEqualTo(jdk.sign());
    }

    @Test
    void aFileWhosePublicKeyIsNotThePrivateKeysIsRefused(@TempDir Path dir) throws Exception {
        MasterKey master = MasterKey.generate();
        RsaSigningKey key = RsaSigningKey.generate(2048, 3);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        Files.write(dir.resolve(ArcSigningKey.FILE), ArcSigningKey.encode(generator.generateKeyPair().getPublic(),
                master.wrap(key.pkcs8(), ArcSigningKey.ASSOCIATED_DATA)));
        assertThatThrownBy(() -> ArcSigningKey.openOrCreate(dir, master)).isInstanceOf(KeyException.class)
                .hasMessageContaining("is not the private key's");
    }

    private static boolean verifies(PublicKey key, byte[] signature) throws Exception {
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(key);
        verifier.update(DATA);
        return verifier.verify(signature);
    }
}
