package dev.veil.gateway.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DotUnstuffingDataLinesTest {

    @Test
    void dropsTheLeadingDotOfEveryLine() throws IOException {
        assertThat(unstuffed("..\r\n.a\r\nb.c\r\n...\r\n\r\n.\r\n")).isEqualTo(".\r\na\r\nb.c\r\n..\r\n\r\n\r\n");
        assertThat(unstuffed("no dots\r\nhere.\r\n")).isEqualTo("no dots\r\nhere.\r\n");
    }

    /** The same as removing the first dot line by line, for random runs of lines. */
    @Test
    void matchesLineByLineUnstuffing() throws IOException {
        Random random = new Random(11);
        for (int round = 0; round < 200; round++) {
            StringBuilder in = new StringBuilder();
            StringBuilder expected = new StringBuilder();
            int lines = 1 + random.nextInt(60);
            for (int i = 0; i < lines; i++) {
                StringBuilder line = new StringBuilder();
                int length = random.nextInt(random.nextBoolean() ? 5 : 90);
                for (int j = 0; j < length; j++) {
                    line.append(".xab".charAt(random.nextInt(4)));
                }
                String text = line + "\r\n";
                in.append(text);
                expected.append(text.startsWith(".") ? text.substring(1) : text);
            }
            assertThat(unstuffed(in.toString())).isEqualTo(expected.toString());
        }
    }

    private static String unstuffed(String lines) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DotUnstuffingDataLines.writeUnstuffed(lines.getBytes(StandardCharsets.US_ASCII), out);
        return out.toString(StandardCharsets.US_ASCII);
    }
}
