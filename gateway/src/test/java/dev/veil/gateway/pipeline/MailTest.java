package dev.veil.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.gateway.core.QueueId;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MailTest {
    @TempDir
    Path dir;

    @Test
    void prependedFieldsGoOutInFrontNewestFirstAndTheContentCannotChangeAfterThem() throws Exception {
        Path original = Files.writeString(dir.resolve("m.eml"), "Subject: x\r\n\r\nbody\r\n");
        Mail mail = new Mail(QueueId.next(), "a@partner.example", List.of("bob@example.com"), null, null, original);
        assertThat(text(mail)).isEqualTo("Subject: x\r\n\r\nbody\r\n");

        mail.prependHeaderFields("ARC-Seal: i=1\r\n".getBytes(StandardCharsets.US_ASCII));
        mail.prependHeaderFields("X-Newer: 2\r\n".getBytes(StandardCharsets.US_ASCII));

        assertThat(text(mail)).isEqualTo("X-Newer: 2\r\nARC-Seal: i=1\r\nSubject: x\r\n\r\nbody\r\n");
        assertThat(mail.outgoing().size()).isEqualTo(text(mail).length());
        assertThat(mail.content()).isEqualTo(original).hasContent("Subject: x\r\n\r\nbody\r\n");
        Path other = Files.writeString(dir.resolve("other.eml"), "Subject: y\r\n\r\n");
        assertThatThrownBy(() -> mail.replaceContent(other, Mail.Protection.SEALED, List.of()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("arc-seal must be the last step");
        assertThatThrownBy(() -> mail.replaceHeader(other, "")).isInstanceOf(IllegalStateException.class);
    }

    private static String text(Mail mail) throws Exception {
        try (InputStream in = mail.outgoing().open()) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
