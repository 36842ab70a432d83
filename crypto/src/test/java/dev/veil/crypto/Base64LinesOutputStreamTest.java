package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Both base64 line writers (the table encoder and the JDK-block one that {@code open} takes where HotSpot vectorises
 * the JDK's encoder) give what the JDK's line-by-line one gives, plus the last line's CRLF.
 */
class Base64LinesOutputStreamTest {
    private static final byte[] CRLF = {'\r', '\n'};

    @Test
    void matchesTheJdksMimeEncoderAtEverySizeAroundLineAndBlockBoundaries() throws Exception {
        Random random = new Random(11);
        for (int lineLength : new int[] {76, 64}) {
            int perLine = lineLength / 4 * 3;
            int block = perLine * 1024;
            for (int size : new int[] {0, 1, 2, 3, perLine - 1, perLine, perLine + 1, block - 1, block, block + 1,
                    3 * block, 3 * block + 5, 1_048_576}) {
                byte[] data = new byte[size];
                random.nextBytes(data);
                byte[] expected = jdk(data, lineLength);
                assertThat(ours(data, lineLength, size == 0 ? 1 : size)).as("%d bytes, one write, lines of %d",
                        size, lineLength).isEqualTo(expected);
                assertThat(ours(data, lineLength, 1 + random.nextInt(70_000))).as("%d bytes in pieces", size)
                        .isEqualTo(expected);
                // each piece in an array of its own length: lines that end at or near the end of the caller's array
                // must not be read past it (the encoder reads eight bytes for six)
                for (int piece : new int[] {perLine, perLine + 1, perLine + 2, 2 * perLine + 1, 1 + random.nextInt(500)}) {
                    assertThat(oursInOwnArrays(data, lineLength, piece)).as("%d bytes in own arrays of %d", size, piece)
                            .isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void everyLineHasTheLengthAskedForAndEndsInCrlf() throws Exception {
        String text = new String(ours(new byte[10_000], 76, 333), StandardCharsets.US_ASCII);
        String[] lines = text.split("\r\n", -1);
        assertThat(lines[lines.length - 1]).as("nothing after the last CRLF").isEmpty();
        for (int i = 0; i < lines.length - 2; i++) {
            assertThat(lines[i]).hasSize(76);
        }
        assertThat(text).doesNotContain("\n\n").doesNotContain("\r\r");
    }

    private static byte[] jdk(byte[] data, int lineLength) {
        byte[] lines = Base64.getMimeEncoder(lineLength, CRLF).encode(data);
        if (lines.length == 0) {
            return lines;
        }
        byte[] withEnd = java.util.Arrays.copyOf(lines, lines.length + 2);
        withEnd[lines.length] = '\r';
        withEnd[lines.length + 1] = '\n';
        return withEnd;
    }

    private static OutputStream writer(OutputStream out, int lineLength, boolean jdk) {
        return jdk ? new JdkBase64LinesOutputStream(out, lineLength) : new Base64LinesOutputStream(out, lineLength);
    }

    /** What both writers wrote, which must be the same. */
    private static byte[] both(byte[] table, byte[] jdk) {
        assertThat(table).as("the table writer against the JDK-block writer").isEqualTo(jdk);
        return table;
    }

    private static byte[] oursInOwnArrays(byte[] data, int lineLength, int piece) throws Exception {
        return both(oursInOwnArrays(data, lineLength, piece, false), oursInOwnArrays(data, lineLength, piece, true));
    }

    private static byte[] oursInOwnArrays(byte[] data, int lineLength, int piece, boolean jdk) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream base64 = writer(out, lineLength, jdk)) {
            for (int at = 0; at < data.length; at += piece) {
                base64.write(java.util.Arrays.copyOfRange(data, at, Math.min(at + piece, data.length)));
            }
        }
        return out.toByteArray();
    }

    @Test
    void anyLineLengthThatIsAMultipleOfFour() throws Exception {
        Random random = new Random(5);
        for (int lineLength = 4; lineLength <= 100; lineLength += 4) {
            byte[] data = new byte[random.nextInt(3000)];
            random.nextBytes(data);
            assertThat(ours(data, lineLength, 1 + random.nextInt(200))).as("lines of %d", lineLength)
                    .isEqualTo(jdk(data, lineLength));
            assertThat(oursInOwnArrays(data, lineLength, 1 + random.nextInt(200))).as("lines of %d", lineLength)
                    .isEqualTo(jdk(data, lineLength));
        }
    }

    private static byte[] ours(byte[] data, int lineLength, int piece) throws Exception {
        return both(ours(data, lineLength, piece, false), ours(data, lineLength, piece, true));
    }

    private static byte[] ours(byte[] data, int lineLength, int piece, boolean jdk) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream base64 = writer(out, lineLength, jdk)) {
            for (int at = 0; at < data.length; at += piece) {
                base64.write(data, at, Math.min(piece, data.length - at));
            }
        }
        return out.toByteArray();
    }
}
