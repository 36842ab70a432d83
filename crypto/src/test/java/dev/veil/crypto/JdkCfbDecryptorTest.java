package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The chunked CFB decryption gives what the JDK's CFB mode gives, at every length and however the input arrives. */
class JdkCfbDecryptorTest {
    private final Random random = new Random(4880);

    @Test
    void decryptsWhatTheJdksCfbEncryptedAtEveryLengthAndPiece() throws Exception {
        for (int length : new int[] {0, 1, 15, 16, 17, 18, 31, 32, 33, 65_535, 65_536, 65_537, 65_552, 300_001}) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            byte[] plaintext = new byte[length];
            random.nextBytes(plaintext);
            Cipher cfb = Cipher.getInstance("AES/CFB/NoPadding", "SunJCE");
            cfb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
            byte[] ciphertext = cfb.doFinal(plaintext);
            for (int piece : new int[] {1, 7, 16, 1 + random.nextInt(100_000)}) {
                Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding", "SunJCE");
                ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
                // a source that hands out odd-sized reads, as packet streams do
                InputStream source = new ByteArrayInputStream(ciphertext) {
                    @Override
                    public synchronized int read(byte[] b, int off, int len) {
                        return super.read(b, off, Math.min(len, 1 + random.nextInt(40_000)));
                    }
                };
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (InputStream in = new JdkCfbDecryptorFactory.CfbDecrypting(source, ecb)) {
                    byte[] buffer = new byte[piece];
                    for (int n; (n = in.read(buffer, 0, piece)) >= 0; ) {
                        out.write(buffer, 0, n);
                    }
                }
                assertThat(out.toByteArray()).as("%d bytes read in pieces of %d", length, piece).isEqualTo(plaintext);
            }
        }
    }
}
