package dev.veil.gateway.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spool check: writable directories, and room on their file system for one message of the largest size. */
class SpoolHealthCheckTest {
    @TempDir
    Path dir;

    @Test
    void aFileSystemWithoutRoomForOneLargestMessageIsUnhealthy() throws Exception {
        Path incoming = Files.createDirectories(dir.resolve("incoming"));
        Path queue = Files.createDirectories(dir.resolve("queue"));
        long free = Files.getFileStore(queue).getUsableSpace();

        assertThat(new SpoolHealthCheck(incoming, queue, 1024).execute().isHealthy()).isTrue();
        var full = new SpoolHealthCheck(incoming, queue, free + (1L << 40)).execute();
        assertThat(full.isHealthy()).isFalse();
        assertThat(full.getMessage()).contains("free on the spool's file system").contains("smtp.maxMessageSize");
    }
}
