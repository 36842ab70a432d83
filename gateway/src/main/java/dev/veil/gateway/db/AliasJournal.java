package dev.veil.gateway.db;

import dev.veil.gateway.correspondents.AliasEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Every alias the directory issues, one line each, appended before Exchange gets the alias: the file, not H2, is what
 * a reply to an alias can count on after a crash, as the spool's envelope files are for queued mail. A black-box probe
 * killed Veil within 1.5 s of relaying new correspondents' mail and 8 of 12 aliases were gone from H2 although their
 * rows had been committed and checkpointed; replies to them got {@code 550 5.1.1}. At start the lines are put back
 * into the table ({@link AliasDao#restoreFromJournal}). The file holds what the table holds (aliases and sealed
 * tokens, never a plain address), in the database's private directory. A line is written whole before
 * {@link #append} returns, so a process kill cannot lose it; a line cut off by a power loss is skipped.
 */
public final class AliasJournal implements AutoCloseable {
    private final Path file;
    private FileChannel channel;

    public AliasJournal(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    synchronized void append(AliasEntry entry) throws IOException {
        String line = entry.aliasLocal() + "\t" + entry.aliasDomain() + "\t" + entry.realToken() + "\t"
                + entry.keyVersion() + "\t" + entry.firstSeen().toEpochMilli() + "\n";
        if (line.chars().filter(c -> c == '\t').count() != 4 || line.indexOf('\n') != line.length() - 1) {
            throw new IOException("alias entry cannot be journaled (a tab or line break in it): " + entry.aliasLocal());
        }
        if (channel == null) {
            dev.veil.gateway.core.PrivateDirectories.create(file.getParent()); // what the table holds: Veil's alone
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        }
        ByteBuffer bytes = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** The entries of every whole line; a line that does not read as one (cut off) is skipped. */
    synchronized List<AliasEntry> entries() throws IOException {
        List<AliasEntry> entries = new ArrayList<>();
        if (!Files.exists(file)) {
            return entries;
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        for (String line : text.substring(0, end + 1).split("\n")) {
            String[] f = line.split("\t", -1);
            if (f.length != 5) {
                continue;
            }
            try {
                entries.add(new AliasEntry(f[0], f[1], f[2], Integer.parseInt(f[3]),
                        Instant.ofEpochMilli(Long.parseLong(f[4]))));
            } catch (NumberFormatException cutOff) {
                // not a line this class wrote whole
            }
        }
        return entries;
    }

    @Override
    public synchronized void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing at shutdown
            }
            channel = null;
        }
    }
}
