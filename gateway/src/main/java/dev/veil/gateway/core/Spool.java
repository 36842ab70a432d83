package dev.veil.gateway.core;

import dev.veil.config.Direction;
import dev.veil.gateway.db.SpoolDao;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The queue on disk, Postfix-style: {@code incoming/} holds messages being received, {@code queue/ID.eml} the
 * accepted ones (the source of truth until relayed), {@code work/} what the pipeline writes, {@code dsn/} the
 * delivery status notifications of bounced mail. A message is accepted only once its file and directory entry are
 * fsync'd and its row is committed.
 */
public final class Spool {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Spool.class);
    private final Path incoming;
    private final Path queue;
    private final Path work;
    private final Path dsn;
    private final Path runningMarker;
    private final SpoolDao dao;
    private final Clock clock;

    public Spool(Path root, SpoolDao dao, Clock clock) throws IOException {
        PrivateDirectories.create(root); // every message below is plaintext
        this.incoming = PrivateDirectories.create(root.resolve("incoming"));
        this.queue = PrivateDirectories.create(root.resolve("queue"));
        this.work = PrivateDirectories.create(root.resolve("work"));
        this.dsn = PrivateDirectories.create(root.resolve("dsn"));
        this.runningMarker = root.resolve("veil.pid");
        this.dao = dao;
        this.clock = clock;
    }

    /** Starts receiving a message; bytes beyond {@code maxSize} (0: no limit) make it too big. */
    public IncomingMessage begin(long maxSize) throws IOException {
        QueueId id = QueueId.next();
        return new IncomingMessage(id, incoming.resolve(id + ".tmp"), maxSize);
    }

    /**
     * Makes a received message durable and queues it. Only when this returns may the client hear {@code 250}.
     * On failure nothing is queued and the temporary file is gone.
     */
    public QueueId accept(IncomingMessage message, Envelope envelope) throws IOException {
        return accept(message, envelope, Direction.INBOUND);
    }

    /** As {@link #accept(IncomingMessage, Envelope)}, for mail taken in the given direction (recorded with it). */
    public QueueId accept(IncomingMessage message, Envelope envelope, Direction direction) throws IOException {
        QueueId id = message.id();
        Path target = messageFile(id);
        Path envelopeFile = envelopeFile(id);
        try {
            message.close();
            if (message.tooBig()) {
                throw new IOException("message exceeds the size limit");
            }
            Instant now = clock.instant();
            // envelope first, then the message: a queue file never exists without its envelope; one directory
            // fsync makes both names durable; the row comes last and can be rebuilt from the files (recover())
            writeSynced(envelopeFile, new EnvelopeFile(direction, now, message.size(), envelope).encode());
            move(message.file(), target);
            fsyncDirectory(queue);
            dao.insert(id, direction, envelope, message.size(), now);
            return id;
        } catch (IOException | SQLException | RuntimeException e) {
            message.discard();
            Files.deleteIfExists(target);
            Files.deleteIfExists(envelopeFile);
            throw e instanceof IOException io ? io : new IOException("could not queue the message: " + e.getMessage(), e);
        }
    }

    /**
     * Queues a message Veil wrote itself (a delivery status notification) as if it had been received: copied into
     * {@code incoming/}, then accepted like any other, so it is as durable and goes through the same pipeline.
     */
    public QueueId acceptGenerated(Path source, Envelope envelope, Direction direction) throws IOException {
        IncomingMessage message = begin(0);
        try {
            Files.copy(source, message);
        } catch (IOException | RuntimeException e) {
            message.discard();
            throw e;
        }
        return accept(message, envelope, direction);
    }

    /**
     * Gives back their rows to queued messages whose row the database lost (a kill right after the 250, before the
     * database wrote the commit), from their envelope files; deletes envelope files of messages that were never
     * queued or have left. Run before the queue runner starts.
     *
     * @return how many rows were rebuilt
     */
    public int recover() throws IOException {
        int rebuilt = 0;
        int settledLeftovers = 0;
        int settledAgain = recoverSettled();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(queue, "*.env")) {
            for (Path env : files) {
                String name = env.getFileName().toString();
                QueueId id;
                try {
                    id = new QueueId(name.substring(0, name.length() - ".env".length()));
                } catch (IllegalArgumentException notOurs) {
                    LOG.warn("recovery: {} in the queue directory is not Veil's; left alone", env);
                    continue;
                }
                try {
                    if (!Files.exists(messageFile(id))) {
                        java.util.Optional<SpoolEntry> row = dao.find(id);
                        if (row.isEmpty() || row.get().state() == SpoolState.RELAYED
                                || row.get().state() == SpoolState.BOUNCED) {
                            // never queued, or gone for good: a kill came between the two deletes of remove()
                            Files.deleteIfExists(env);
                            Files.deleteIfExists(releasedFile(id));
                        }
                        continue;
                    }
                    java.util.Optional<SpoolEntry> row = dao.find(id);
                    java.util.Optional<Hold> hold = findHold(id);
                    if (row.isPresent()) {
                        SpoolState state = row.get().state();
                        if (hold.isPresent() && !state.isFinal()) {
                            keepHeld(id, row.get().envelope().recipients(), hold.get()); // the quarantine was lost
                        } else if (hold.isPresent() && state != SpoolState.QUARANTINED) {
                            unhold(id); // settled after a release whose note outlived it
                        }
                        if (SETTLED.contains(state)) {
                            // a kill between the commit and the deletes: the plaintext would stay for good (a probe
                            // found 29 such messages after 46 kills)
                            remove(id);
                            settledLeftovers++;
                        }
                        continue;
                    }
                    EnvelopeFile envelope = EnvelopeFile.decode(Files.readAllBytes(env));
                    dao.insert(id, envelope.direction(), envelope.envelope(), envelope.size(), envelope.received());
                    if (hold.isPresent()) {
                        keepHeld(id, envelope.envelope().recipients(), hold.get());
                    }
                    rebuilt++;
                } catch (SQLException | IllegalArgumentException | IOException e) {
                    // one damaged entry must not stop the gateway (and all other mail) from starting
                    LOG.error("recovery: cannot rebuild the queue entry {} from {}: {} — the message stays in {};"
                            + " re-inject it (e.g. with sendmail) or fix the envelope file and restart", id, env,
                            e.getMessage(), messageFile(id));
                }
            }
        }
        if (settledLeftovers > 0 || settledAgain > 0) {
            LOG.info("recovery: {} relayed or bounced message(s) whose files a crash had left removed; {} whose final"
                    + " state the database had lost set again from their notes", settledLeftovers, settledAgain);
        }
        forgetSettled();
        return rebuilt;
    }

    /** The final states a message leaves a note of ({@link #settled}). */
    private static final List<SpoolState> SETTLED = List.of(SpoolState.RELAYED, SpoolState.BOUNCED);

    /** The file name ending of a note that a message was settled: {@code .relayed} or {@code .bounced}. */
    private static String settledSuffix(SpoolState state) {
        return "." + state.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Removes a relayed or bounced message's files, once its final state is committed, leaving a note of that state in
     * their place (an empty file, named so): a kill can still take the commit from H2 (a probe's kills lost four
     * "relayed" states in one run, and the messages, delivered once, were then quarantined as "spool file missing"),
     * but not a file the process has written. The note goes once a checkpoint has made the state durable
     * ({@link #forgetSettled}).
     */
    public void settled(QueueId id, SpoolState state) throws IOException {
        if (!SETTLED.contains(state)) {
            throw new IllegalArgumentException("not a settled state: " + state);
        }
        // the note first: a kill between here and the last delete leaves what recoverSettled() removes
        Files.write(queue.resolve(id.value() + settledSuffix(state)), new byte[0]);
        remove(id);
    }

    /**
     * Sets the final state its note says for each settled message whose row the database lost it for, and removes what
     * a kill left of its files. Run at start, before anything is taken up again.
     *
     * @return how many rows got their final state again
     */
    private int recoverSettled() throws IOException {
        int again = 0;
        for (SpoolState state : SETTLED) {
            String suffix = settledSuffix(state);
            try (DirectoryStream<Path> notes = Files.newDirectoryStream(queue, "*" + suffix)) {
                for (Path note : notes) {
                    String name = note.getFileName().toString();
                    QueueId id;
                    try {
                        id = new QueueId(name.substring(0, name.length() - suffix.length()));
                    } catch (IllegalArgumentException notOurs) {
                        continue;
                    }
                    remove(id);
                    try {
                        java.util.Optional<SpoolEntry> row = dao.find(id);
                        if (row.isPresent() && !row.get().state().isFinal()) {
                            Instant now = clock.instant();
                            String detail = state.name().toLowerCase(java.util.Locale.ROOT) + " before a crash that"
                                    + " lost this record from the database (Veil's note in the queue directory says so)";
                            dao.finish(id, state, null, now, List.of(new AuditRecord(id.value(), now, "recovery",
                                    row.get().envelope().recipients(), null, null, List.of(),
                                    state.name().toLowerCase(java.util.Locale.ROOT), detail)));
                            again++;
                        }
                    } catch (SQLException e) {
                        LOG.error("recovery: cannot set the final state of {} again: {}", id, e.getMessage());
                    }
                }
            }
        }
        return again;
    }

    /**
     * Removes the notes of settled messages, once a checkpoint has made their final states durable; notes made after
     * the listing wait for the next call. Called at start and every few seconds by the queue runner.
     *
     * @return how many notes were removed
     */
    public int forgetSettled() throws IOException {
        List<Path> notes = new java.util.ArrayList<>();
        for (SpoolState state : SETTLED) {
            try (DirectoryStream<Path> found = Files.newDirectoryStream(queue, "*" + settledSuffix(state))) {
                found.forEach(notes::add);
            }
        }
        if (notes.isEmpty()) {
            return 0;
        }
        try {
            dao.checkpoint();
        } catch (SQLException e) {
            LOG.warn("the database could not be checkpointed; the notes of settled messages stay: {}", e.getMessage());
            return 0;
        }
        for (Path note : notes) {
            Files.deleteIfExists(note);
        }
        return notes.size();
    }

    /** Quarantines again an entry whose hold note outlived its row's state, for the recipients the note names. */
    private void keepHeld(QueueId id, List<String> recipients, Hold hold) throws SQLException {
        List<String> held = hold.recipients().isEmpty() ? recipients : hold.recipients();
        String detail = "held for an admin before a restart that lost this record: " + hold.reason();
        Instant now = clock.instant();
        dao.quarantine(id, held, detail, now, List.of(new AuditRecord(id.value(), now, "recovery", held, null, null,
                List.of(), "quarantined", detail)));
        LOG.warn("recovery: {} was held for an admin (its hold note says so, its record did not); quarantined again",
                id);
    }

    public Path messageFile(QueueId id) {
        return queue.resolve(id.value() + ".eml");
    }

    /**
     * The recipients the message had when it was accepted (from its envelope file, which retries do not narrow);
     * empty when that file cannot be read.
     */
    public java.util.Optional<java.util.List<String>> acceptedRecipients(QueueId id) {
        try {
            return java.util.Optional.of(EnvelopeFile.decode(Files.readAllBytes(envelopeFile(id))).envelope()
                    .recipients());
        } catch (IOException | IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    /** The envelope beside a queued message (see {@link EnvelopeFile}). */
    public Path envelopeFile(QueueId id) {
        return queue.resolve(id.value() + ".env");
    }

    public Path dsnFile(QueueId id) {
        return dsn.resolve(id.value() + ".eml");
    }

    /** A scratch file for a pipeline step; the caller deletes it. */
    public Path workFile(QueueId id, String suffix) {
        return work.resolve(id.value() + "-" + UUID.randomUUID() + "." + suffix);
    }

    /** The message has left for good (relayed): its file goes, its row stays for the record. */
    public void remove(QueueId id) throws IOException {
        Files.deleteIfExists(messageFile(id));
        Files.deleteIfExists(envelopeFile(id));
        Files.deleteIfExists(holdFile(id));
        Files.deleteIfExists(releasedFile(id));
    }

    /**
     * The note that an admin released the entry from a hold ({@code ID.released}: the reason of each hold released, one
     * per line), for the steps that held it: a release is the admin's decision about that reason, so a step whose
     * verdict was it (DMARC) lets the message go the next time rather than holding it again. A black-box probe's
     * release of a DMARC quarantine was quarantined again at once, and only a policy change for all mail let it out.
     */
    public Path releasedFile(QueueId id) {
        return queue.resolve(id.value() + ".released");
    }

    /** Adds {@code reason} to the entry's release note (synced, with its directory). */
    public void markReleased(QueueId id, String reason) throws IOException {
        List<String> reasons = new java.util.ArrayList<>(releasedFrom(id));
        reasons.add(reason == null ? "" : reason.replaceAll("[\\r\\n]+", " "));
        writeAtomically(releasedFile(id), (String.join("\n", reasons) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The reasons of the holds an admin released the entry from, oldest first; empty when never released. */
    public List<String> releasedFrom(QueueId id) throws IOException {
        Path file = releasedFile(id);
        if (!Files.exists(file)) {
            return List.of();
        }
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
    }

    /**
     * The note that an entry is held for an admin ({@code ID.hold} beside its files: the recipients it is held for and
     * why), as Postfix keeps held mail in its {@code hold} directory rather than in a record that can be lost: the
     * queue directory is the source of truth. Without it, a kill that lost the database's last commits (or a lost
     * {@code db/}) brought a quarantined message back as newly received, and it went through the pipeline again
     * under the policy then in force, unreleased (a black-box probe saw it relayed in plaintext under a new pass rule).
     */
    public Path holdFile(QueueId id) {
        return queue.resolve(id.value() + ".hold");
    }

    /** Writes the hold note (synced, with its directory) before the entry's row says quarantined. */
    public void hold(QueueId id, List<String> recipients, String reason) throws IOException {
        StringBuilder note = new StringBuilder(reason == null ? "" : reason.replaceAll("[\\r\\n]+", " ")).append('\n');
        recipients.forEach(r -> note.append(r).append('\n'));
        writeAtomically(holdFile(id), note.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Removes the hold note: an admin releases the entry (just before its row changes, see QueueRunner.release). */
    public void unhold(QueueId id) throws IOException {
        if (Files.deleteIfExists(holdFile(id))) {
            fsyncDirectory(queue);
        }
    }

    /** The recipients and reason of a hold note. */
    public record Hold(List<String> recipients, String reason) {
    }

    /** The entry's hold note, if it is held. */
    public java.util.Optional<Hold> findHold(QueueId id) throws IOException {
        Path file = holdFile(id);
        if (!Files.exists(file)) {
            return java.util.Optional.empty();
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        String reason = lines.isEmpty() ? "" : lines.get(0);
        List<String> recipients = lines.size() < 2 ? List.of()
                : lines.subList(1, lines.size()).stream().filter(l -> !l.isBlank()).toList();
        return java.util.Optional.of(new Hold(recipients, reason));
    }

    /** Temporary files of sessions that died mid-DATA and scratch files of interrupted workers. */
    public int removeStale() throws IOException {
        int removed = 0;
        for (Path dir : new Path[] {incoming, work}) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    Files.deleteIfExists(f);
                    removed++;
                }
            }
        }
        return removed;
    }

    /**
     * Notes that a queue runner is working on this spool ({@code spool/veil.pid}, Postfix's {@code master.pid}).
     *
     * @return whether the note was already there: the previous run ended without a clean stop (a kill, a crash, a
     *     power loss), so what it left in the database deserves a check
     */
    public boolean markRunning() throws IOException {
        boolean unclean = Files.exists(runningMarker);
        writeAtomically(runningMarker, (ProcessHandle.current().pid() + "\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return unclean;
    }

    /** Removes the note of {@link #markRunning()} after a clean stop. */
    public void markStopped() throws IOException {
        Files.deleteIfExists(runningMarker);
    }

    public Path queueDirectory() {
        return queue;
    }

    public Path incomingDirectory() {
        return incoming;
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** fsync of the directory makes the rename itself durable (a file's fsync does not cover its name). */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Writes a new file and fsyncs its content (the caller fsyncs the directory). */
    private static void writeSynced(Path target, byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }

    /** Writes a file so that it either exists whole or not at all. */
    public static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        move(tmp, target);
        fsyncDirectory(target.getParent());
    }
}
