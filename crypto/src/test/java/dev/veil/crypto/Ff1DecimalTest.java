package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.Random;
import org.bouncycastle.crypto.fpe.FPEFF1Engine;
import org.bouncycastle.crypto.params.FPEParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

class Ff1DecimalTest {

    @Test
    void matchesNistSp800_38gSamplesForAes256() {
        // NIST SP 800-38G FF1 samples 7 and 8 (AES-256, radix 10)
        byte[] key = HexFormat.of().parseHex("2b7e151628aed2a6abf7158809cf4f3cef4359d8d580aa4f7f036d6f04fc6a94");
        assertThat(encrypt(key, new byte[0], "0123456789")).isEqualTo("6657667009");
        assertThat(encrypt(key, HexFormat.of().parseHex("39383736353433323130"), "0123456789")).isEqualTo("1001623463");
    }

    @Test
    void computesExactlyWhatBouncyCastlesEngineComputes() {
        Random random = new Random(42);
        for (int trial = 0; trial < 3000; trial++) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            byte[] tweak = new byte[random.nextInt(12)];
            random.nextBytes(tweak);
            int n = 6 + random.nextInt(Ff1Decimal.MAX_DIGITS - 5);
            byte[] digits = new byte[n];
            for (int i = 0; i < n; i++) {
                digits[i] = (byte) random.nextInt(10);
            }
            byte[] expected = new byte[n];
            FPEFF1Engine bc = new FPEFF1Engine();
            bc.init(true, new FPEParameters(new KeyParameter(key), 10, tweak));
            bc.processBlock(digits, 0, n, expected, 0);

            byte[] mine = digits.clone();
            new Ff1Decimal(key).process(true, tweak, mine);
            assertThat(mine).as("trial %d, %d digits", trial, n).isEqualTo(expected);
            new Ff1Decimal(key).process(false, tweak, mine);
            assertThat(mine).isEqualTo(digits);
        }
    }

    private static String encrypt(byte[] key, byte[] tweak, String number) {
        byte[] digits = new byte[number.length()];
        for (int i = 0; i < digits.length; i++) {
            digits[i] = (byte) (number.charAt(i) - '0');
        }
        new Ff1Decimal(key).process(true, tweak, digits);
        StringBuilder out = new StringBuilder();
        for (byte d : digits) {
            out.append((char) ('0' + d));
        }
        return out.toString();
    }
}
