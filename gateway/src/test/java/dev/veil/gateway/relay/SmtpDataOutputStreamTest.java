package dev.veil.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.eclipse.angus.mail.smtp.SMTPOutputStream;
import org.junit.jupiter.api.Test;

/** Angus's own DATA stream is the reference: the same bytes for any content, in any pieces. */
class SmtpDataOutputStreamTest {

    @Test
    void stuffsDotsAndMakesLineEndsCrlf() throws IOException {
        assertThat(ours(".a\r\nb\n.\r..c\rd")).isEqualTo("..a\r\nb\r\n..\r\n...c\r\nd\r\n");
        assertThat(ours("")).isEqualTo("");
        assertThat(ours("x\r\n")).isEqualTo("x\r\n");
    }

    @Test
    void writesWhatAngusWritesForRandomContentInRandomPieces() throws IOException {
        Random random = new Random(5);
        String alphabet = "..\r\n\r\nabcdefgh ";
        for (int round = 0; round < 300; round++) {
            byte[] content = new byte[random.nextInt(round < 250 ? 300 : 200_000)];
            for (int i = 0; i < content.length; i++) {
                content[i] = random.nextInt(4) == 0 ? (byte) alphabet.charAt(random.nextInt(alphabet.length()))
                        : (byte) ('a' + random.nextInt(26));
            }
            ByteArrayOutputStream angus = new ByteArrayOutputStream();
            SMTPOutputStream reference = new SMTPOutputStream(angus);
            ByteArrayOutputStream mine = new ByteArrayOutputStream();
            SmtpDataOutputStream ours = new SmtpDataOutputStream(mine);
            for (int at = 0; at < content.length; ) {
                int n = Math.min(content.length - at, random.nextBoolean() ? 1 + random.nextInt(9) : random.nextInt(90_000));
                if (n == 1 && random.nextBoolean()) {
                    reference.write(content[at]);
                    ours.write(content[at]);
                } else {
                    reference.write(content, at, n);
                    ours.write(content, at, n);
                }
                at += n;
            }
            reference.ensureAtBOL();
            reference.flush();
            ours.finish();
            assertThat(mine.toByteArray()).as("round %d", round).isEqualTo(angus.toByteArray());
        }
    }

    private static String ours(String content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SmtpDataOutputStream stream = new SmtpDataOutputStream(out);
        stream.write(content.getBytes(StandardCharsets.US_ASCII));
        stream.finish();
        return out.toString(StandardCharsets.US_ASCII);
    }
}
