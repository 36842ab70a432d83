package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The armor checksum against RFC 4880's bit-by-bit definition (section 6.1), however the bytes are split. */
class Crc24Test {
    @Test
    void checkValueOfTheOpenPgpCrc() {
        ArmorOutputStream.Crc24 crc = new ArmorOutputStream.Crc24();
        byte[] digits = "123456789".getBytes(StandardCharsets.US_ASCII);
        crc.update(digits, 0, digits.length);
        assertThat(crc.value()).isEqualTo(0x21CF02); // CRC-24/OPENPGP's published check value
        assertThat(new ArmorOutputStream.Crc24().value()).as("nothing read: the initial value").isEqualTo(0xB704CE);
    }

    @Test
    void equalsTheBitwiseDefinitionAtEveryLengthOffsetAndSplit() {
        Random random = new Random(24);
        for (int round = 0; round < 2000; round++) {
            byte[] data = new byte[random.nextInt(round < 100 ? 40 : 5000)];
            random.nextBytes(data);
            int offset = data.length == 0 ? 0 : random.nextInt(data.length);
            int length = data.length - offset;
            ArmorOutputStream.Crc24 crc = new ArmorOutputStream.Crc24();
            for (int at = offset; at < offset + length; ) {
                int n = Math.min(1 + random.nextInt(20), offset + length - at);
                crc.update(data, at, n);
                at += n;
            }
            assertThat(crc.value()).as("%d bytes from %d", length, offset).isEqualTo(bitwise(data, offset, length));
        }
    }

    /** RFC 4880 section 6.1's C code. */
    private static int bitwise(byte[] data, int offset, int length) {
        int crc = 0xB704CE;
        for (int i = offset; i < offset + length; i++) {
            crc ^= (data[i] & 0xFF) << 16;
            for (int bit = 0; bit < 8; bit++) {
                crc <<= 1;
                if ((crc & 0x1000000) != 0) {
                    crc ^= 0x1864CFB;
                }
            }
        }
        return crc & 0xFFFFFF;
    }
}
