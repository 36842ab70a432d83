package dev.veil.gateway.relay;

import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.Spool;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;

/**
 * The upstream when no real one is configured: each relayed message becomes {@code QUEUEID-N.eml} in a directory,
 * written whole or not at all, so what "Exchange would have received" can be inspected.
 */
public final class DirectoryUpstream implements Upstream {
    /** The name of a copy being written: hidden, so that nobody takes a half-written message for a relayed one. */
    private static final java.util.regex.Pattern PARTIAL =
            java.util.regex.Pattern.compile("\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.tmp");

    private final Path directory;

    /**
     * Also removes the partial copies a killed run left (it is made before any relay of this run starts, and such a
     * message is still queued: it is written again whole).
     */
    public DirectoryUpstream(Path directory) throws IOException {
        this.directory = dev.veil.gateway.core.PrivateDirectories.create(directory); // what it holds may be plaintext
        try (var files = Files.list(this.directory)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (PARTIAL.matcher(p.getFileName().toString()).matches()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Override
    public void send(QueueId id, OutgoingMessage message, String sender, List<String> recipients)
            throws TemporaryFailureException {
        Path tmp = directory.resolve("." + UUID.randomUUID() + ".tmp");
        try {
            try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE);
                 OutputStream out = java.nio.channels.Channels.newOutputStream(channel)) {
                message.writeTo(out);
                channel.force(true);
            }
            Path target = directory.resolve(id.value() + "-" + UUID.randomUUID().toString().substring(0, 8) + ".eml");
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            Spool.fsyncDirectory(directory);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // removed at the next start
            }
            throw new TemporaryFailureException("cannot write to " + directory + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return "directory " + directory;
    }

    @Override
    public void probe() throws IOException {
        if (!Files.isWritable(directory)) {
            throw new IOException(directory + " is not writable");
        }
    }
}
