package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Line ends are found wherever they fall in the eight-byte words, and never before or after the first. */
class LineEndsTest {

    @Test
    void findsTheFirstCrOrLfAtEveryOffset() {
        for (int length = 1; length < 30; length++) {
            for (int at = 0; at < length; at++) {
                for (byte special : new byte[] {'\r', '\n'}) {
                    byte[] bytes = "y".repeat(length).getBytes(StandardCharsets.US_ASCII);
                    bytes[at] = special;
                    if (at + 1 < length) {
                        bytes[at + 1] = special == '\r' ? (byte) '\n' : (byte) '\r'; // a later match never wins
                    }
                    assertThat(LineEnds.indexOfCrOrLf(bytes, 0, length)).isEqualTo(at);
                    assertThat(LineEnds.indexOfCrOrLf(bytes, 0, at)).isEqualTo(-1);
                }
            }
        }
    }

    @Test
    void findsEveryLfFromEveryStart() {
        for (int length = 0; length < 40; length++) {
            for (int at = 0; at < length; at++) {
                byte[] bytes = "x".repeat(length).getBytes(StandardCharsets.US_ASCII);
                bytes[at] = '\n';
                if (at > 0) {
                    bytes[at - 1] = '\r'; // a CR is not an LF
                }
                for (int from = 0; from <= at; from++) {
                    assertThat(LineEnds.indexOfLf(bytes, from, length)).isEqualTo(at);
                }
                assertThat(LineEnds.indexOfLf(bytes, at + 1, length)).isEqualTo(-1);
            }
        }
    }
}
