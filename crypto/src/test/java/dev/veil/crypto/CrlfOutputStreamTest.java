package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CrlfOutputStreamTest {

    @Test
    void makesEveryLineEndCrlfAndChangesNothingElse() throws IOException {
        assertThat(canonical("a\nb\rc\r\nd\r\r\ne\n\nf\r")).isEqualTo("a\r\nb\r\nc\r\nd\r\n\r\ne\r\n\r\nf\r\n");
        assertThat(canonical("no line end")).isEqualTo("no line end");
    }

    @Test
    void handlesACrlfSplitAcrossWrites() throws IOException {
        ByteArrayOutputStream target = new ByteArrayOutputStream();
        try (CrlfOutputStream out = new CrlfOutputStream(target, true)) {
            out.write("a\r".getBytes(StandardCharsets.US_ASCII));
            out.write("\nb\r".getBytes(StandardCharsets.US_ASCII));
            out.write('c');
        }
        assertThat(target.toString(StandardCharsets.US_ASCII)).isEqualTo("a\r\nb\r\nc");
    }

    @Test
    void findsTheFirstLineEndWhereverItIsAndWhateverSurroundsIt() {
        // bytes that differ from CR or LF in one bit, or are 0x00/0x01/0x80: what could fool an 8-byte-at-a-time scan
        byte[] alphabet = {'\r', '\n', 0x0B, 0x0C, 0x0E, 0x08, 0x1A, 0x1D, (byte) 0x8A, (byte) 0x8D, 0x00, 0x01,
                (byte) 0x80, (byte) 0xFF, 'a'};
        java.util.Random random = new java.util.Random(3);
        for (int round = 0; round < 20_000; round++) {
            byte[] bytes = new byte[random.nextInt(40)];
            for (int i = 0; i < bytes.length; i++) {
                // mostly not a line end, so matches land at every offset within a word
                bytes[i] = alphabet[random.nextInt(8) == 0 ? random.nextInt(2) : 2 + random.nextInt(alphabet.length - 2)];
            }
            int from = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
            int end = from + (bytes.length == from ? 0 : random.nextInt(bytes.length - from + 1));
            int expected = end;
            for (int i = from; i < end; i++) {
                if (bytes[i] == '\r' || bytes[i] == '\n') {
                    expected = i;
                    break;
                }
            }
            assertThat(CrlfOutputStream.nextLineEnd(bytes, from, end)).as("round %d", round).isEqualTo(expected);
        }
    }

    @Test
    void givesWhatAByteByByteCanonicaliserGivesForAnySplitOfTheInput() throws IOException {
        java.util.Random random = new java.util.Random(5);
        byte[] alphabet = {'\r', '\n', 'x', 'y', (byte) 0x8D, 0x0A ^ 0x01};
        for (int round = 0; round < 2_000; round++) {
            byte[] bytes = new byte[random.nextInt(300)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = alphabet[random.nextInt(alphabet.length)];
            }
            ByteArrayOutputStream target = new ByteArrayOutputStream();
            try (CrlfOutputStream out = new CrlfOutputStream(target, true)) {
                int at = 0;
                while (at < bytes.length) {
                    int n = Math.min(bytes.length - at, random.nextInt(20));
                    out.write(bytes, at, n);
                    at += n;
                }
            }
            assertThat(target.toByteArray()).as("round %d", round).isEqualTo(byteByByte(bytes));
        }
    }

    @Test
    void passesMostlyCanonicalTextInRunsWithTheSameResultAsByteByByte() throws IOException {
        java.util.Random random = new java.util.Random(9);
        // control bytes near CR and LF, and bytes that differ from them in one bit, around CRLF lines
        byte[] odd = {'\r', '\n', '\t', 0, 0x0B, 0x0C, 0x0E, (byte) 0x8D, 0x0A ^ 0x40, (byte) 0xFF};
        for (int round = 0; round < 500; round++) {
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            int lines = random.nextInt(200);
            for (int line = 0; line < lines; line++) {
                int length = random.nextInt(90);
                for (int i = 0; i < length; i++) {
                    text.write(random.nextInt(50) == 0 ? odd[random.nextInt(odd.length)] : 'a' + random.nextInt(26));
                }
                text.write('\r');
                text.write('\n');
            }
            byte[] bytes = text.toByteArray();
            ByteArrayOutputStream target = new ByteArrayOutputStream();
            try (CrlfOutputStream out = new CrlfOutputStream(target, true)) {
                int at = 0;
                while (at < bytes.length) {
                    int n = Math.min(bytes.length - at, random.nextInt(random.nextBoolean() ? 16 : 5_000));
                    out.write(bytes, at, n);
                    at += n;
                }
            }
            assertThat(target.toByteArray()).as("round %d", round).isEqualTo(byteByByte(bytes));
        }
    }

    /**
     * Long canonical runs go to the target from the caller's array: the result is still exact, and every write the
     * target sees but the last is a multiple of 16 bytes (the cipher's fast path).
     */
    @Test
    void writesLongCanonicalRunsThroughInWholeBlocks() throws IOException {
        java.util.Random random = new java.util.Random(13);
        for (int round = 0; round < 60; round++) {
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            int lines = random.nextInt(8_000);
            for (int line = 0; line < lines; line++) {
                int length = random.nextInt(round % 3 == 0 ? 2_000 : 90);
                for (int i = 0; i < length; i++) {
                    text.write(random.nextInt(3_000) == 0 ? (random.nextBoolean() ? '\n' : '\r') : 'a' + i % 26);
                }
                text.write('\r');
                text.write('\n');
            }
            byte[] bytes = text.toByteArray();
            java.util.List<Integer> writes = new java.util.ArrayList<>();
            ByteArrayOutputStream target = new ByteArrayOutputStream() {
                @Override
                public synchronized void write(byte[] b, int off, int len) {
                    writes.add(len);
                    super.write(b, off, len);
                }
            };
            try (CrlfOutputStream out = new CrlfOutputStream(target, true)) {
                for (int at = 0; at < bytes.length; ) {
                    int n = Math.min(bytes.length - at, 1 + random.nextInt(random.nextBoolean() ? 70_000 : 300));
                    out.write(bytes, at, n);
                    at += n;
                }
            }
            assertThat(target.toByteArray()).as("round %d", round).isEqualTo(byteByByte(bytes));
            for (int i = 0; i < writes.size() - 1; i++) {
                assertThat(writes.get(i) % 16).as("round %d, write %d of %s", round, i, writes).isZero();
            }
        }
    }

    @Test
    void aCanonicalRunEndsBeforeTheFirstBareLineEndAndNeverAfterAHalfCrlf() {
        canonicalRuns(13, 20_000, 40, 4);
    }

    /** Long stretches without a line end: the two-words-a-step loop, and its hand-over at every offset. */
    @Test
    void canonicalRunsThroughLongTextStopWhereTheyShould() {
        canonicalRuns(17, 2_000, 300, 40);
    }

    private static void canonicalRuns(long seed, int rounds, int maxLength, int oneSpecialIn) {
        java.util.Random random = new java.util.Random(seed);
        byte[] alphabet = {'\r', '\n', 'x', (byte) 0x8D, 0x0C, 0x0E, '\r', '\n'};
        for (int round = 0; round < rounds; round++) {
            byte[] bytes = new byte[random.nextInt(maxLength)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = random.nextInt(oneSpecialIn) == 0 ? alphabet[random.nextInt(alphabet.length)] : (byte) 'a';
            }
            if (random.nextBoolean()) {
                for (int i = 0; i + 1 < bytes.length; i++) {
                    if (bytes[i] == '\n' || bytes[i] == '\r') {
                        bytes[i] = '\r'; // mostly CRLF text, as mail is
                        bytes[i + 1] = '\n';
                    }
                }
            }
            int from = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
            int run = CrlfOutputStream.canonicalRun(bytes, from, bytes.length);
            assertThat(run).as("round %d", round).isBetween(from, bytes.length);
            assertThat(isCanonical(bytes, from, run)).as("round %d: [%d, %d) is canonical", round, from, run).isTrue();
            assertThat(run == from || bytes[run - 1] != '\r').as("round %d: ends after a CR", round).isTrue();
            // the run stops at most one word (and a held-back CR) before the end of the longest canonical prefix
            int longest = from;
            for (int to = from; to <= bytes.length; to++) {
                if (isCanonical(bytes, from, to)) {
                    longest = to;
                }
            }
            assertThat(run).as("round %d", round).isGreaterThanOrEqualTo(longest - 9);
        }
    }

    /** Every CR in [from, to) is followed by LF inside it, and every LF is preceded by CR inside it. */
    private static boolean isCanonical(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == '\r' && (i + 1 >= to || bytes[i + 1] != '\n')) {
                return false;
            }
            if (bytes[i] == '\n' && (i == from || bytes[i - 1] != '\r')) {
                return false;
            }
        }
        return true;
    }

    /** The rule, one byte at a time: CRLF stays, a bare CR or a bare LF becomes CRLF. */
    private static byte[] byteByByte(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\r') {
                out.write('\r');
                out.write('\n');
                if (i + 1 < bytes.length && bytes[i + 1] == '\n') {
                    i++;
                }
            } else if (bytes[i] == '\n') {
                out.write('\r');
                out.write('\n');
            } else {
                out.write(bytes[i]);
            }
        }
        return out.toByteArray();
    }

    static String canonical(String text) throws IOException {
        ByteArrayOutputStream target = new ByteArrayOutputStream();
        try (CrlfOutputStream out = new CrlfOutputStream(target, true)) {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        }
        return target.toString(StandardCharsets.ISO_8859_1);
    }
}
