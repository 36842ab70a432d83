package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import dev.veil.gateway.correspondents.CorrespondentRestorer;
import dev.veil.gateway.correspondents.Reidentifier;
import dev.veil.gateway.correspondents.TextParts;
import dev.veil.tests.support.Corpus;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Header restoration over every message of the shared corpus (obsolete syntax, raw 8-bit and UTF-8 headers, BOMs,
 * no blank line, huge headers...): with nothing to restore a message leaves byte for byte as it came, less its Bcc
 * fields; with every address and id "restored", only those bytes change. The same for the text of the bodies.
 */
class CorrespondentRestorerCorpusTest {
    private static final String MARK = "veil-restored.";
    private static final Set<String> RESTORED_FIELDS =
            Set.of("from", "sender", "reply-to", "to", "cc", "message-id", "in-reply-to", "references");
    /** Removed from mail leaving the business. */
    private static final Set<String> BLIND_COPY_FIELDS = Set.of("bcc", "resent-bcc");

    /** Treats every address as an alias of itself in a marked domain, every ASCII message id likewise. */
    private static final Reidentifier EVERYTHING = new Reidentifier() {
        @Override
        public boolean isAliasAddress(String address) {
            return true;
        }

        @Override
        public Optional<String> realAddress(String alias) {
            return Optional.of(alias.replace("@", "@" + MARK));
        }

        @Override
        public Optional<String> realMessageId(String id) {
            return id.chars().allMatch(c -> c > 32 && c < 127) ? Optional.of("<" + MARK + id.substring(1))
                    : Optional.empty();
        }
    };

    private static final Reidentifier NOTHING = new Reidentifier() {
        @Override
        public boolean isAliasAddress(String address) {
            return false;
        }

        @Override
        public Optional<String> realAddress(String alias) {
            return Optional.empty();
        }

        @Override
        public Optional<String> realMessageId(String id) {
            return Optional.empty();
        }
    };

    /** What the restore-correspondents step writes: the restored header block, then the rest of the stream. */
    private static byte[] restore(Reidentifier reidentifier, byte[] message, int[] counts) throws Exception {
        InputStream in = new ByteArrayInputStream(message);
        CorrespondentRestorer.Restored restored = new CorrespondentRestorer(reidentifier).restore(HeaderBlock.read(in));
        counts[0] += restored.addresses();
        counts[1] += restored.messageIds();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(restored.header());
        in.transferTo(out);
        return out.toByteArray();
    }

    /** The message without its Bcc and Resent-Bcc fields, every other byte as it was. */
    private static byte[] withoutBlindCopies(byte[] message) {
        String text = new String(message, StandardCharsets.ISO_8859_1);
        HeaderBlock header = HeaderBlock.parse(message);
        StringBuilder out = new StringBuilder(text.length());
        int at = 0;
        for (HeaderField f : header.fields()) {
            String raw = new String(f.raw(), StandardCharsets.ISO_8859_1);
            int start = text.indexOf(raw, at);
            if (BLIND_COPY_FIELDS.contains(f.name().toLowerCase(Locale.ROOT))) {
                out.append(text, at, start);
                at = start + raw.length();
            }
        }
        return out.append(text.substring(at)).toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static List<HeaderField> untouchedFields(byte[] message) {
        List<HeaderField> fields = new ArrayList<>();
        for (HeaderField f : HeaderBlock.parse(message).fields()) {
            if (!RESTORED_FIELDS.contains(f.name().toLowerCase(Locale.ROOT))
                    && !BLIND_COPY_FIELDS.contains(f.name().toLowerCase(Locale.ROOT))) {
                fields.add(f);
            }
        }
        return fields;
    }

    @Test
    void everyCorpusMessageLeavesUnchangedWhenThereIsNothingToRestore() throws Exception {
        int blindCopies = 0;
        for (Path file : Corpus.messages()) {
            byte[] message = Files.readAllBytes(file);
            byte[] expected = withoutBlindCopies(message);
            blindCopies += expected.length < message.length ? 1 : 0;
            assertThat(restore(NOTHING, message, new int[2])).as(file.getFileName().toString()).isEqualTo(expected);
        }
        assertThat(blindCopies).as("corpus messages with a Bcc field").isPositive();
    }

    /**
     * The message as the step writes it, its text parts given to the restorer's text restoration (its header as it
     * is, but for a transfer encoding that must change).
     */
    private static byte[] withText(Reidentifier reidentifier, byte[] message, int[] counts) throws Exception {
        InputStream in = new ByteArrayInputStream(message);
        HeaderBlock header = HeaderBlock.read(in);
        byte[] consumed = header.consumed();
        InputStream body = new java.io.SequenceInputStream(new ByteArrayInputStream(consumed, header.bodyOffset(),
                consumed.length - header.bodyOffset()), in);
        CorrespondentRestorer restorer = new CorrespondentRestorer(reidentifier);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        counts[0] += TextParts.copy(header, java.util.Arrays.copyOf(consumed, header.bodyOffset()), body, out, (text, html) -> {
            CorrespondentRestorer.RestoredText restored = restorer.restoreText(text, null, html);
            counts[1] += restored.addresses();
            return restored.text();
        });
        return out.toByteArray();
    }

    @Test
    void everyCorpusBodyLeavesByteForByteWhenItsTextHoldsNoAlias() throws Exception {
        for (Path file : Corpus.messages()) {
            byte[] message = Files.readAllBytes(file);
            int[] counts = new int[2];
            assertThat(withText(NOTHING, message, counts)).as(file.getFileName().toString()).isEqualTo(message);
            assertThat(counts[0]).isZero();
        }
    }

    /**
     * Every address in every corpus text part "restored": what a MIME reader decodes from each part afterwards is what
     * it decoded before, but for the restored addresses — through quoted-printable and base64 encoded again, nested
     * multiparts, odd boundaries — and every other part decodes to the same octets.
     */
    @Test
    void restoringEveryAddressInTheCorpusTextChangesOnlyThoseAddresses() throws Exception {
        int[] counts = new int[2];
        int compared = 0;
        for (Path file : Corpus.messages()) {
            byte[] message = Corpus.asSmtpData(Files.readAllBytes(file)); // as the spool holds it: CRLF
            byte[] restored = withText(EVERYTHING, message, counts);
            List<byte[]> before = decodedLeaves(message);
            List<byte[]> after = decodedLeaves(restored);
            assertThat(after).as(file.getFileName() + ": parts").hasSameSizeAs(before);
            for (int i = 0; i < before.size(); i++) {
                String was = new String(before.get(i), StandardCharsets.ISO_8859_1);
                String is = new String(after.get(i), StandardCharsets.ISO_8859_1);
                if (was.startsWith("BEGIN:VCALENDAR")) {
                    // an invitation is folded again at 75 octets once restored: its lines unfolded are what count
                    was = was.replaceAll("\r?\n[ \t]", "");
                    is = is.replaceAll("\r?\n[ \t]", "");
                }
                is = is.replace("@" + MARK, "@");
                assertThat(around(is, was)).as(file.getFileName() + ": part " + i).isEqualTo(around(was, is));
                compared++;
            }
        }
        assertThat(counts[0]).as("text parts changed across the corpus").isGreaterThanOrEqualTo(5);
        assertThat(counts[1]).as("addresses restored in the corpus text").isGreaterThanOrEqualTo(10);
        assertThat(compared).isGreaterThan(150);
    }

    /** Where {@code a} first differs from {@code b}, with some text around it (the whole of a long part is unreadable). */
    private static String around(String a, String b) {
        int i = 0;
        while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        if (i == a.length() && i == b.length()) {
            return "the same " + a.length() + " characters";
        }
        return "at " + i + " of " + a.length() + ": " + a.substring(Math.max(0, i - 60), Math.min(a.length(), i + 60));
    }

    /** Each leaf part's decoded octets, as Jakarta Mail reads the message (none when it cannot). */
    private static List<byte[]> decodedLeaves(byte[] message) {
        List<byte[]> leaves = new ArrayList<>();
        try {
            jakarta.mail.internet.MimeMessage parsed = new jakarta.mail.internet.MimeMessage(
                    jakarta.mail.Session.getInstance(new java.util.Properties()), new ByteArrayInputStream(message));
            leaves(parsed, leaves, 0);
        } catch (Exception e) {
            leaves.add(("unreadable: " + e.getClass().getSimpleName()).getBytes(StandardCharsets.US_ASCII));
        }
        return leaves;
    }

    private static void leaves(jakarta.mail.Part part, List<byte[]> into, int depth) throws Exception {
        if (part.isMimeType("multipart/*") && depth < 16) {
            Object content = part.getContent();
            if (content instanceof jakarta.mail.Multipart multipart) {
                for (int i = 0; i < multipart.getCount(); i++) {
                    leaves(multipart.getBodyPart(i), into, depth + 1);
                }
                return;
            }
        }
        try (InputStream in = part.getInputStream()) {
            into.add(in.readAllBytes());
        } catch (Exception e) {
            into.add(("undecodable: " + e.getClass().getSimpleName()).getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void restoringEveryAddressAndIdInTheCorpusChangesOnlyThoseBytes() throws Exception {
        int[] counts = new int[2];
        int messages = 0;
        for (Path file : Corpus.messages()) {
            byte[] message = Files.readAllBytes(file);
            String before = new String(withoutBlindCopies(message), StandardCharsets.ISO_8859_1);
            assertThat(before).as("marker unused in " + file).doesNotContain(MARK);
            byte[] restored = restore(EVERYTHING, message, counts);
            String after = new String(restored, StandardCharsets.ISO_8859_1);

            assertThat(after.replace("@" + MARK, "@").replace("<" + MARK, "<")).as(file.getFileName().toString())
                    .isEqualTo(before);
            List<HeaderField> beforeFields = untouchedFields(message);
            List<HeaderField> afterFields = untouchedFields(restored);
            assertThat(afterFields).as(file.getFileName().toString()).hasSameSizeAs(beforeFields);
            for (int i = 0; i < beforeFields.size(); i++) {
                assertThat(afterFields.get(i).raw()).as(file.getFileName() + " " + beforeFields.get(i).name())
                        .isEqualTo(beforeFields.get(i).raw());
            }
            messages++;
        }
        assertThat(messages).isGreaterThanOrEqualTo(100);
        assertThat(counts[0]).as("addresses restored across the corpus").isGreaterThan(messages);
        assertThat(counts[1]).as("message ids restored across the corpus").isGreaterThan(messages / 2);
    }
}
