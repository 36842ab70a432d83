package dev.veil.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.gateway.UpstreamSettings;
import dev.veil.gateway.core.QueueId;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmtpUpstreamTest {
    @TempDir
    Path dir;

    @Test
    void aNonAsciiRecipientFailsForGoodBeforeAnyConnectionNeverAsMangledBytes() throws Exception {
        Path message = dir.resolve("m.eml");
        Files.writeString(message, "Subject: x\r\n\r\nbody\r\n");
        try (ServerSocket upstream = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            AtomicInteger connections = new AtomicInteger();
            Thread accept = new Thread(() -> {
                try (Socket s = upstream.accept()) {
                    connections.incrementAndGet();
                } catch (Exception ignored) {
                    // closed at the end of the test
                }
            });
            accept.setDaemon(true);
            accept.start();
            UpstreamSettings settings = new UpstreamSettings();
            settings.setHost("127.0.0.1");
            settings.setPort(upstream.getLocalPort());
            settings.setTls(UpstreamSettings.Tls.none);
            SmtpUpstream relay = new SmtpUpstream(settings, "veil.test");

            assertThatThrownBy(() -> relay.send(QueueId.next(), OutgoingMessage.of(message), "alice@example.com",
                    List.of("bob@partner.example", "j\u00f6rg@xn--bcher-kva.example")))
                    .isInstanceOf(PermanentFailureException.class).hasMessageContaining("553 5.6.7");
            Thread.sleep(200);
            assertThat(connections.get()).isZero();
        }
    }
}
