package dev.veil.tests.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The shared real-world corpus ({@code ../shared/corpus} beside the repository, or {@code -Dveil.corpus=DIR}). */
public final class Corpus {
    private Corpus() {
    }

    public static Path root() {
        String configured = System.getProperty("veil.corpus", System.getenv("VEIL_CORPUS"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        // surefire runs in tests/; the repository is its parent, shared/ lies beside the repository
        Path repo = Path.of("").toAbsolutePath().getParent();
        Path corpus = repo.getParent().resolve("shared").resolve("corpus");
        if (!Files.isDirectory(corpus)) {
            throw new IllegalStateException("no corpus at " + corpus + " (set -Dveil.corpus=DIR)");
        }
        return corpus;
    }

    /** Every message file under mail/, except the raw TNEF blobs (attachments, not messages). */
    public static List<Path> messages() {
        Path mail = root().resolve("mail");
        try (Stream<Path> files = Files.walk(mail)) {
            List<Path> all = files.filter(Files::isRegularFile)
                    .filter(p -> !mail.relativize(p).toString().startsWith("tnef-attachments"))
                    .sorted().toList();
            if (all.size() < 100) {
                throw new IllegalStateException("expected the whole mail corpus under " + mail + ", found " + all.size());
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What an SMTP client puts on the wire for a file: every line ending (LF, CR, CRLF) as CRLF, and a final CRLF
     * if the file lacks one (SMTP data always ends with one). Through {@link #asQueued}, what decryption gives back.
     */
    public static byte[] asSmtpData(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length + raw.length / 20 + 2);
        for (int i = 0; i < raw.length; i++) {
            byte b = raw[i];
            if (b == '\r') {
                out.write('\r');
                out.write('\n');
                if (i + 1 < raw.length && raw[i + 1] == '\n') {
                    i++;
                }
            } else if (b == '\n') {
                out.write('\r');
                out.write('\n');
            } else {
                out.write(b);
            }
        }
        byte[] data = out.toByteArray();
        if (data.length < 2 || data[data.length - 2] != '\r' || data[data.length - 1] != '\n') {
            out.write('\r');
            out.write('\n');
            data = out.toByteArray();
        }
        return data;
    }

    /**
     * The message as Veil queues it: as Postfix's cleanup does, a line in the header that is neither a field nor a
     * continuation gets an empty line before it, so that it and what follows are body for every reader. This is what
     * decryption gives back below Veil's Received field.
     */
    public static byte[] asQueued(byte[] message) {
        message = withoutLead(message);
        dev.veil.crypto.HeaderBlock header = dev.veil.crypto.HeaderBlock.parse(message);
        if (header.complete() || header.overLimit()) {
            return message;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 2);
        out.write(message, 0, header.bodyOffset());
        out.writeBytes(new byte[] {'\r', '\n'});
        out.write(message, header.bodyOffset(), message.length - header.bodyOffset());
        return out.toByteArray();
    }

    /**
     * Without UTF-8 byte order marks or mbox {@code From sender date} lines in front of the header: below its
     * Received field either would end the header, so Veil drops them at reception.
     */
    private static byte[] withoutLead(byte[] message) {
        int at = 0;
        while (true) {
            while (message.length - at >= 3 && (message[at] & 0xff) == 0xEF && (message[at + 1] & 0xff) == 0xBB
                    && (message[at + 2] & 0xff) == 0xBF) {
                at += 3;
            }
            int end = at;
            while (end < message.length && message[end] != '\r' && message[end] != '\n') {
                end++;
            }
            if (!dev.veil.crypto.HeaderBlock.isMboxFromLine(java.util.Arrays.copyOfRange(message, at, end), 0)) {
                return java.util.Arrays.copyOfRange(message, at, message.length);
            }
            while (end < message.length && message[end] != '\n') {
                end++;
            }
            at = Math.min(message.length, end + 1);
        }
    }
}
