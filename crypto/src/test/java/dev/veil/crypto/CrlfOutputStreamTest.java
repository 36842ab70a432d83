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

    static String canonical(String text) throws IOException {
        ByteArrayOutputStream target = new ByteArrayOutputStream();
        try (CrlfOutputStream out = new CrlfOutputStream(target, true)) {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        }
        return target.toString(StandardCharsets.ISO_8859_1);
    }
}
