package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The chunked MIME base64 decoder gives what the JDK's MIME decoder gives, however the text is laid out and read. */
class Base64MimeInputStreamTest {
    private final Random random = new Random(2045);

    @Test
    void decodesWhatTheJdkDecodesAtEveryLengthLineLengthAndPiece() throws Exception {
        for (int length : new int[] {0, 1, 2, 3, 4, 56, 57, 58, 49_151, 49_152, 49_153, 100_000, 1_000_001}) {
            byte[] data = new byte[length];
            random.nextBytes(data);
            for (int lineLength : new int[] {76, 64, 4}) {
                byte[] text = Base64.getMimeEncoder(lineLength, new byte[] {'\r', '\n'}).encode(data);
                assertThat(decode(text, 1 + random.nextInt(100_000))).as("%d bytes, lines of %d", length, lineLength)
                        .isEqualTo(data);
            }
        }
    }

    @Test
    void ignoresWhatIsOutsideTheAlphabetAndStopsAtPadding() throws Exception {
        byte[] data = "any carnal pleasure.".getBytes(StandardCharsets.US_ASCII);
        String text = Base64.getEncoder().encodeToString(data); // ends in '='
        String spaced = " " + text.substring(0, 5) + "\r\n\t" + text.substring(5, 11) + "\n*" + text.substring(11)
                + "\r\nQUJD\r\n"; // after the padding: ignored
        assertThat(decode(spaced.getBytes(StandardCharsets.US_ASCII), 3)).isEqualTo(data);
        assertThat(Base64.getMimeDecoder().decode(spaced.substring(0, spaced.indexOf('=') + 1))).isEqualTo(data);
        // no padding at all is fine too
        assertThat(decode("YW55IGNhcm5hbCBwbGVhcw".getBytes(StandardCharsets.US_ASCII), 7))
                .isEqualTo("any carnal pleas".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aSingleCharacterLeftOverIsAnError() {
        assertThatThrownBy(() -> decode("QUJDR".getBytes(StandardCharsets.US_ASCII), 10))
                .isInstanceOf(IOException.class).hasMessageContaining("single character");
    }

    private static byte[] decode(byte[] text, int piece) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = new Base64MimeInputStream(new ByteArrayInputStream(text))) {
            byte[] buffer = new byte[piece];
            for (int n; (n = in.read(buffer, 0, piece)) >= 0; ) {
                out.write(buffer, 0, n);
            }
        }
        return out.toByteArray();
    }
}
