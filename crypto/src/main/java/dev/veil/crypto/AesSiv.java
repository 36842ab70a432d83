package dev.veil.crypto;

import java.util.Arrays;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.modes.SICBlockCipher;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * AES-SIV (RFC 5297): deterministic authenticated encryption. The same plaintext and associated data always give
 * the same ciphertext (that is the point: equal values get equal pseudonyms), and any change to the ciphertext is
 * detected. Output is {@code V(16) || C}, with C as long as the plaintext. The key is K1 || K2 (S2V key, then CTR
 * key): 32 bytes for AES-128-SIV, 64 for AES-256-SIV.
 *
 * <p>Not thread-safe (it keeps its CMAC and CTR engines); make one per thread.
 */
final class AesSiv {
    private static final int BLOCK = 16;
    private final CMac cmac;
    private final KeyParameter ctrKey;
    private final SICBlockCipher ctr;
    /** CMAC of the zero block: the start of every S2V chain, the same for every call. */
    private final byte[] zeroMac;
    /** S2V state after a single short associated data string (Veil's kinds): computed once per kind, not per call. */
    private final java.util.Map<String, byte[]> afterAd = new java.util.HashMap<>();
    private boolean ctrKeyed;

    AesSiv(byte[] key) {
        if (key.length != 32 && key.length != 48 && key.length != 64) {
            throw new IllegalArgumentException("AES-SIV needs a 32, 48 or 64 byte key, got " + key.length);
        }
        int half = key.length / 2;
        this.cmac = new CMac(AESEngine.newInstance());
        this.cmac.init(new KeyParameter(key, 0, half));
        this.ctrKey = new KeyParameter(key, half, half);
        this.ctr = new SICBlockCipher(AESEngine.newInstance());
        this.zeroMac = mac(new byte[BLOCK]);
    }

    byte[] encrypt(byte[] plaintext, byte[]... associatedData) {
        byte[] v = s2v(plaintext, associatedData);
        byte[] out = Arrays.copyOf(v, BLOCK + plaintext.length);
        ctr(v, plaintext, 0, plaintext.length, out, BLOCK);
        return out;
    }

    /** The plaintext, or null if the ciphertext was not made with this key and associated data. */
    byte[] decrypt(byte[] ciphertext, byte[]... associatedData) {
        if (ciphertext.length < BLOCK) {
            return null;
        }
        byte[] v = Arrays.copyOf(ciphertext, BLOCK);
        byte[] plaintext = new byte[ciphertext.length - BLOCK];
        ctr(v, ciphertext, BLOCK, plaintext.length, plaintext, 0);
        byte[] expected = s2v(plaintext, associatedData);
        return java.security.MessageDigest.isEqual(expected, v) ? plaintext : null;
    }

    private void ctr(byte[] v, byte[] in, int inOff, int len, byte[] out, int outOff) {
        byte[] q = v.clone();
        // RFC 5297 section 2.6: clear the 31st and 63rd bits (from the right) so CTR implementations that carry
        // only 32 bits of counter interoperate
        q[8] &= 0x7f;
        q[12] &= 0x7f;
        // the key schedule is built once; later calls only change the counter block
        ctr.init(true, new ParametersWithIV(ctrKeyed ? null : ctrKey, q));
        ctrKeyed = true;
        ctr.processBytes(in, inOff, len, out, outOff);
    }

    private byte[] s2v(byte[] plaintext, byte[][] associatedData) {
        byte[] d;
        if (associatedData.length == 1 && associatedData[0].length <= BLOCK) {
            byte[] ad = associatedData[0];
            d = afterAd.computeIfAbsent(new String(ad, java.nio.charset.StandardCharsets.ISO_8859_1), k -> chain(ad)).clone();
        } else {
            d = chain(associatedData);
        }
        byte[] t;
        if (plaintext.length >= BLOCK) {
            t = plaintext.clone();
            xor(t, d, t.length - BLOCK); // xorend
        } else {
            dbl(d);
            t = Arrays.copyOf(plaintext, BLOCK);
            t[plaintext.length] = (byte) 0x80; // pad
            xor(t, d, 0);
        }
        return mac(t);
    }

    private byte[] chain(byte[]... associatedData) {
        byte[] d = zeroMac.clone();
        for (byte[] ad : associatedData) {
            dbl(d);
            xor(d, mac(ad), 0);
        }
        return d;
    }

    private byte[] mac(byte[] data) {
        cmac.update(data, 0, data.length);
        byte[] out = new byte[BLOCK];
        cmac.doFinal(out, 0);
        return out;
    }

    /** Doubling in GF(2^128) as RFC 5297 defines it. */
    private static void dbl(byte[] block) {
        int carry = (block[0] & 0x80) != 0 ? 0x87 : 0;
        for (int i = 0; i < BLOCK - 1; i++) {
            block[i] = (byte) ((block[i] << 1) | ((block[i + 1] & 0xff) >>> 7));
        }
        block[BLOCK - 1] = (byte) ((block[BLOCK - 1] << 1) ^ carry);
    }

    private static void xor(byte[] target, byte[] block, int offset) {
        for (int i = 0; i < BLOCK; i++) {
            target[offset + i] ^= block[i];
        }
    }
}
