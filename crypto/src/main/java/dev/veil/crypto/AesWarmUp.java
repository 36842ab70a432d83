package dev.veil.crypto;

import java.security.GeneralSecurityException;
import java.time.Duration;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Runs the JDK's AES-GCM and AES-CBC on small buffers, the way Veil calls them, until the JIT has compiled the
 * paths that use the CPU's AES and carry-less multiply instructions.
 *
 * <p>Why: until C2 compiles SunJCE's callers, GCM runs GHASH and the counter mode in plain Java, tens of times
 * slower. A profile of the gateway under a short 1 MB load showed GHASH's Java code at about 30 % of all CPU, and
 * the crypto benchmark's raw GCM figure was the interpreter's until it got the same treatment. A long-running server
 * reaches the fast paths by itself after enough mail; this makes the first minutes as fast as the rest.
 */
public final class AesWarmUp {
    private static final int CHUNK = 8 * 1024;

    private AesWarmUp() {
    }

    /**
     * Encrypts (GCM and CBC, in two {@code update}s and a {@code doFinal}, as {@link JdkContentEncryptor} does) and
     * decrypts (GCM, one {@code doFinal}, as key unwrapping does) {@code rounds} times each.
     *
     * @return how long it took
     */
    public static Duration run(int rounds) throws GeneralSecurityException {
        long start = System.nanoTime();
        SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");
        byte[] input = new byte[2 * CHUNK];
        byte[] out = new byte[input.length + 64];
        byte[] iv = new byte[16];
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", Providers.JDK_AES);
        Cipher cbc = Cipher.getInstance("AES/CBC/PKCS5Padding", Providers.JDK_AES);
        // the ciphertext decrypted each round, under a nonce the encryption rounds never use (their byte 11 is 0)
        byte[] fixedNonce = new byte[12];
        fixedNonce[11] = 1;
        gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, fixedNonce));
        byte[] ciphertext = gcm.doFinal(input, 0, CHUNK);
        for (int i = 0; i < rounds; i++) {
            // GCM refuses a key and nonce used before: a new nonce each round
            iv[0] = (byte) i;
            iv[1] = (byte) (i >>> 8);
            iv[2] = (byte) (i >>> 16);
            gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv, 0, 12));
            encrypt(gcm, input, out);
            cbc.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
            encrypt(cbc, input, out);
            gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, fixedNonce));
            gcm.doFinal(ciphertext, 0, ciphertext.length, out, 0);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static void encrypt(Cipher cipher, byte[] input, byte[] out) throws GeneralSecurityException {
        int n = cipher.update(input, 0, CHUNK, out, 0);
        n += cipher.update(input, CHUNK, CHUNK - 5, out, n);
        cipher.doFinal(input, 2 * CHUNK - 5, 5, out, n);
    }
}
