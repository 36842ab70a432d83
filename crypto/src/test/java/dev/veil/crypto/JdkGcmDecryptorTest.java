package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.cms.GCMParameters;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.InputAEADDecryptor;
import org.junit.jupiter.api.Test;

/**
 * The streaming JDK GCM decryption against the JDK's own GCM encryption: every length around block and buffer
 * boundaries, read in any pieces, with and without additional data, tags of 12 to 16 bytes; and every changed byte
 * of ciphertext, tag or additional data is refused.
 */
class JdkGcmDecryptorTest {
    private final Random random = new Random(5084);

    @Test
    void decryptsWhatTheJdksGcmEncryptedAtEveryLengthAndPiece() throws Exception {
        for (int length : new int[] {0, 1, 15, 16, 17, 100, 65_519, 65_520, 65_536, 65_537, 65_552, 200_001}) {
            for (int tagLength : new int[] {16, 12}) {
                byte[] plaintext = bytes(length);
                byte[] aad = length % 2 == 0 ? bytes(37) : new byte[0];
                Sealed sealed = seal(plaintext, aad, tagLength);
                assertThat(open(sealed, aad, 1 + random.nextInt(70_000)))
                        .as("%d bytes, %d-byte tag", length, tagLength).isEqualTo(plaintext);
            }
        }
    }

    @Test
    void everyChangedByteIsRefused() throws Exception {
        byte[] plaintext = bytes(300);
        byte[] aad = bytes(20);
        Sealed sealed = seal(plaintext, aad, 16);
        for (int i = 0; i < sealed.ciphertextAndTag.length; i++) {
            byte[] changed = sealed.ciphertextAndTag.clone();
            changed[i] ^= (byte) (1 << random.nextInt(8));
            Sealed altered = new Sealed(sealed.key, sealed.nonce, changed, 16);
            assertThatThrownBy(() -> open(altered, aad, 64)).as("byte %d changed", i)
                    .isInstanceOf(IOException.class).hasMessageContaining("mac check in GCM failed");
        }
        byte[] otherAad = aad.clone();
        otherAad[3] ^= 1;
        assertThatThrownBy(() -> open(sealed, otherAad, 64)).isInstanceOf(IOException.class);
        byte[] truncated = java.util.Arrays.copyOf(sealed.ciphertextAndTag, 10);
        assertThatThrownBy(() -> open(new Sealed(sealed.key, sealed.nonce, truncated, 16), aad, 64))
                .isInstanceOf(IOException.class).hasMessageContaining("shorter than its 16-byte tag");
    }

    @Test
    void otherNoncesAndOtherAlgorithmsAreLeftToBouncyCastle() throws Exception {
        SecretKey key = new SecretKeySpec(bytes(32), "AES");
        assertThat(JdkGcmDecryptor.of(gcm(bytes(16), 16), () -> key)).isEmpty();
        assertThat(JdkGcmDecryptor.of(new AlgorithmIdentifier(NISTObjectIdentifiers.id_aes256_CBC), () -> key)).isEmpty();
        assertThat(JdkGcmDecryptor.of(gcm(bytes(12), 16), () -> key)).isPresent();
    }

    private record Sealed(SecretKey key, byte[] nonce, byte[] ciphertextAndTag, int tagLength) {
    }

    private Sealed seal(byte[] plaintext, byte[] aad, int tagLength) throws Exception {
        SecretKey key = new SecretKeySpec(bytes(32), "AES");
        byte[] nonce = bytes(12);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(tagLength * 8, nonce));
        cipher.updateAAD(aad);
        return new Sealed(key, nonce, cipher.doFinal(plaintext), tagLength);
    }

    private byte[] open(Sealed sealed, byte[] aad, int piece) throws Exception {
        InputAEADDecryptor decryptor = JdkGcmDecryptor.of(gcm(sealed.nonce, sealed.tagLength), sealed::key).orElseThrow();
        decryptor.getAADStream().write(aad);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = decryptor.getInputStream(new ByteArrayInputStream(sealed.ciphertextAndTag))) {
            byte[] buffer = new byte[piece];
            for (int n; (n = in.read(buffer, 0, piece)) >= 0; ) {
                out.write(buffer, 0, n);
            }
        }
        return out.toByteArray();
    }

    private static AlgorithmIdentifier gcm(byte[] nonce, int tagLength) {
        return new AlgorithmIdentifier(NISTObjectIdentifiers.id_aes256_GCM, new GCMParameters(nonce, tagLength));
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
