package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void aNewKeyIsRsa2048WithThreePrimesAndReadsBackTheSame(@TempDir Path dir) throws Exception {
        MasterKey master = MasterKey.generate();
        ArcSigningKey created = ArcSigningKey.openOrCreate(dir, master);
        assertThat(created.signingKey().bits()).isEqualTo(2048);
        assertThat(created.signingKey().primeCount()).isEqualTo(3);
        assertThat(created.toString()).isEqualTo("ArcSigningKey[RSA-2048, 3 primes, private key redacted]");
        ArcSigningKey read = ArcSigningKey.openOrCreate(dir, master);
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
