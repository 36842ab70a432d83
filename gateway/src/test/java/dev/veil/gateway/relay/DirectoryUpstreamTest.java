package dev.veil.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.core.QueueId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryUpstreamTest {
    @TempDir
    Path dir;

    @Test
    void aStartRemovesThePartialCopiesAKilledRunLeftAndNothingElse() throws Exception {
        Path upstream = dir.resolve("upstream");
        Files.createDirectories(upstream);
        Path partial = Files.writeString(upstream.resolve(".e0da5fe2-1c2b-4d3e-8f90-0123456789ab.tmp"), "half a messa");
        Path relayed = Files.writeString(upstream.resolve("01M8QS4CCF5607X35PY0-b8c461dd.eml"), "whole");
        Path someoneElses = Files.writeString(upstream.resolve(".notes.tmp"), "keep");

        new DirectoryUpstream(upstream);

        assertThat(partial).doesNotExist();
        assertThat(relayed).exists();
        assertThat(someoneElses).exists();
    }

    @Test
    void aRelayedMessageAppearsWholeUnderItsQueueIdAndNoPartialStays() throws Exception {
        Path message = Files.writeString(dir.resolve("m.eml"), "Subject: x\r\n\r\nbody\r\n");
        DirectoryUpstream upstream = new DirectoryUpstream(dir.resolve("upstream"));
        QueueId id = new QueueId("01M8QS4CCF5607X35PY0");

        upstream.send(id, OutgoingMessage.of(message), "a@partner.example", List.of("bob@example.com"));

        try (Stream<Path> files = Files.list(dir.resolve("upstream"))) {
            List<Path> all = files.toList();
            assertThat(all).hasSize(1);
            assertThat(all.get(0).getFileName().toString()).startsWith("01M8QS4CCF5607X35PY0-").endsWith(".eml");
            assertThat(Files.readString(all.get(0))).isEqualTo("Subject: x\r\n\r\nbody\r\n");
        }
    }

    @Test
    void headerFieldsPutInFrontAreWrittenBeforeTheFile() throws Exception {
        Path message = Files.writeString(dir.resolve("m.eml"), "Subject: x\r\n\r\nbody\r\n");
        DirectoryUpstream upstream = new DirectoryUpstream(dir.resolve("upstream"));
        byte[] fields = "ARC-Seal: i=1\r\nX-Two: 2\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

        upstream.send(QueueId.next(), new OutgoingMessage(fields, message), "", List.of("bob@example.com"));

        try (Stream<Path> files = Files.list(dir.resolve("upstream"))) {
            assertThat(Files.readString(files.toList().get(0)))
                    .isEqualTo("ARC-Seal: i=1\r\nX-Two: 2\r\nSubject: x\r\n\r\nbody\r\n");
        }
    }
}
