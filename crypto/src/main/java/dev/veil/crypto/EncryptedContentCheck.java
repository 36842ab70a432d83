package dev.veil.crypto;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetStringParser;
import org.bouncycastle.asn1.ASN1SequenceParser;
import org.bouncycastle.asn1.ASN1SetParser;
import org.bouncycastle.asn1.ASN1StreamParser;
import org.bouncycastle.asn1.ASN1TaggedObjectParser;
import org.bouncycastle.asn1.BERTags;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.RecipientInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.bcpg.BCPGInputStream;
import org.bouncycastle.bcpg.InputStreamPacket;
import org.bouncycastle.bcpg.Packet;
import org.bouncycastle.bcpg.PacketTags;

/**
 * Checks that a message which says it is encrypted end to end really carries ciphertext, so that the gateway
 * relays it unchanged only then. {@link MessageFormats#isAlreadyEncrypted(HeaderBlock)} reads the sender's
 * claim; this reads the body.
 *
 * <p>True only for:
 * <ul>
 *   <li>S/MIME: a single top-level Content-Type {@code application/pkcs7-mime} or
 *       {@code application/x-pkcs7-mime} with smime-type {@code enveloped-data}, {@code authEnveloped-data} or
 *       none; Content-Transfer-Encoding {@code base64} or {@code binary}; a body that is exactly one CMS
 *       ContentInfo of type envelopedData or authEnvelopedData (base64 may be broken into lines; only
 *       whitespace may follow it) with at least one RecipientInfo and the encrypted content present and
 *       complete. The whole structure is walked, streaming, so truncated data is refused; nothing is
 *       decrypted.</li>
 *   <li>PGP/MIME (RFC 3156): a single top-level Content-Type {@code multipart/encrypted} with protocol
 *       {@code application/pgp-encrypted} and exactly two parts: {@code application/pgp-encrypted} with
 *       {@code Version: 1}, then {@code application/octet-stream} holding one ASCII-armored
 *       {@code PGP MESSAGE} (only whitespace around it) whose packets are one or more PKESK/SKESK packets
 *       and then one encrypted data packet (SEIPD, SED or AEAD) that runs to the end of the armor. A short
 *       preamble and epilogue are allowed; a line clashing with the boundary is not.</li>
 * </ul>
 * Anything else is false: plaintext under an encrypted label, signed data, extra parts, damaged or
 * truncated encodings.
 *
 * <p>Streams: memory use does not grow with the size of the ciphertext.
 */
public final class EncryptedContentCheck {
    /** Most bytes of preamble or of epilogue accepted around the two PGP/MIME parts. */
    static final int MAX_PREAMBLE_BYTES = 16 * 1024;
    /** Most bytes of the PGP/MIME control part body ({@code Version: 1}). */
    static final int MAX_CONTROL_BYTES = 1024;
    /** Most bytes of armor header lines (Version:, Comment: ...). */
    static final int MAX_ARMOR_HEADER_BYTES = 4 * 1024;

    private static final int BUFFER = 64 * 1024;
    private static final Set<Integer> SESSION_KEY_PACKETS = Set.of(
            PacketTags.PUBLIC_KEY_ENC_SESSION, PacketTags.SYMMETRIC_KEY_ENC_SESSION);
    private static final Set<Integer> ENCRYPTED_DATA_PACKETS = Set.of(
            PacketTags.SYM_ENC_INTEGRITY_PRO, PacketTags.SYMMETRIC_KEY_ENC, PacketTags.AEAD_ENC_DATA);

    private EncryptedContentCheck() {
    }

    /**
     * The result of a check.
     *
     * @param encrypted whether the body is verifiably ciphertext
     * @param reason    why not (or what it is), for logs; never contains message content
     */
    public record Verdict(boolean encrypted, String reason) {
        public Verdict {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Whether the message in this file is verifiably encrypted; see the class description. */
    public static boolean isVerifiablyEncrypted(Path message) throws IOException {
        return check(message).encrypted();
    }

    /** Whether the message read from {@code message} (to its end) is verifiably encrypted. */
    public static boolean isVerifiablyEncrypted(InputStream message) throws IOException {
        return check(message).encrypted();
    }

    /** {@link #check(InputStream)} for a file. */
    public static Verdict check(Path message) throws IOException {
        try (InputStream in = Files.newInputStream(message)) {
            return check(in);
        }
    }

    /**
     * Checks the message read from {@code message}, which is read at most to its end and not closed.
     *
     * @throws IOException only if reading {@code message} fails; malformed content gives a negative verdict
     */
    public static Verdict check(InputStream message) throws IOException {
        Source source = new Source(message);
        try {
            return examine(new BufferedInputStream(source, BUFFER));
        } catch (NotEncrypted e) {
            return new Verdict(false, e.getMessage());
        } catch (IOException | RuntimeException e) {
            if (source.failure != null) {
                throw source.failure;
            }
            return new Verdict(false, "malformed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    private static Verdict examine(InputStream in) throws IOException, NotEncrypted {
        HeaderBlock header = HeaderBlock.read(in);
        InputStream body = new SequenceInputStream(new ByteArrayInputStream(header.consumedBody()), in);
        ContentType type = singleContentType(header.fields(), "the message");
        switch (type.value()) {
            case "application/pkcs7-mime", "application/x-pkcs7-mime" -> {
                return checkSmime(header.fields(), type, body);
            }
            case "multipart/encrypted" -> {
                return checkPgpMime(header.fields(), type, body);
            }
            default -> throw new NotEncrypted("content type " + type.value() + " is not an encrypted format");
        }
    }

    // ---------------------------------------------------------------- S/MIME

    private static Verdict checkSmime(List<HeaderField> header, ContentType type, InputStream body)
            throws IOException, NotEncrypted {
        String smimeType = type.parameter("smime-type");
        if (smimeType != null) {
            String normalised = smimeType.strip().toLowerCase(Locale.ROOT);
            if (!normalised.equals("enveloped-data") && !normalised.equals("authenveloped-data")) {
                throw new NotEncrypted("smime-type is not enveloped-data or authEnveloped-data");
            }
        }
        String encoding = transferEncoding(header, "the message");
        InputStream der;
        Base64Body base64 = null;
        switch (encoding) {
            case "base64" -> der = base64 = new Base64Body(body);
            case "binary" -> der = body;
            default -> throw new NotEncrypted("S/MIME body has transfer encoding " + encoding + ", not base64 or binary");
        }
        String kind = checkContentInfo(der);
        if (base64 != null) {
            if (base64.read() >= 0) {
                throw new NotEncrypted("data follows the CMS structure");
            }
        } else {
            requireOnlyWhitespace(body, "data follows the CMS structure");
        }
        return new Verdict(true, "S/MIME " + kind);
    }

    /** Walks one ContentInfo holding EnvelopedData or AuthEnvelopedData to its end; returns which one. */
    private static String checkContentInfo(InputStream der) throws IOException, NotEncrypted {
        ASN1StreamParser parser = new ASN1StreamParser(der);
        ASN1SequenceParser contentInfo = as(ASN1SequenceParser.class, parser.readObject(), "ContentInfo");
        ASN1ObjectIdentifier contentType = as(ASN1ObjectIdentifier.class, contentInfo.readObject(), "contentType");
        boolean authenticated;
        if (contentType.equals(CMSObjectIdentifiers.envelopedData)) {
            authenticated = false;
        } else if (contentType.equals(CMSObjectIdentifiers.authEnvelopedData)) {
            authenticated = true;
        } else {
            throw new NotEncrypted("CMS content type " + contentType.getId() + " is not envelopedData or authEnvelopedData");
        }
        ASN1TaggedObjectParser explicit = as(ASN1TaggedObjectParser.class, contentInfo.readObject(), "content");
        if (!explicit.hasContextTag(0)) {
            throw new NotEncrypted("ContentInfo content is not tagged [0]");
        }
        ASN1SequenceParser enveloped = as(ASN1SequenceParser.class, explicit.parseExplicitBaseObject(), "EnvelopedData");
        int recipients = checkEnvelopedData(enveloped, authenticated);
        if (explicit.parseExplicitBaseObject() != null) {
            throw new NotEncrypted("more than one object in the ContentInfo content");
        }
        if (contentInfo.readObject() != null) {
            throw new NotEncrypted("extra fields in ContentInfo");
        }
        return (authenticated ? "authEnvelopedData" : "envelopedData") + " for " + recipients + " recipient(s)";
    }

    /**
     * EnvelopedData ::= SEQUENCE { version, originatorInfo [0] OPTIONAL, recipientInfos SET,
     * encryptedContentInfo, unprotectedAttrs [1] OPTIONAL }; AuthEnvelopedData (RFC 5083) has
     * authEncryptedContentInfo, authAttrs [1] OPTIONAL, mac OCTET STRING, unauthAttrs [2] OPTIONAL.
     */
    private static int checkEnvelopedData(ASN1SequenceParser enveloped, boolean authenticated)
            throws IOException, NotEncrypted {
        as(ASN1Integer.class, enveloped.readObject(), "version");
        ASN1Encodable next = enveloped.readObject();
        if (next instanceof ASN1TaggedObjectParser originatorInfo && originatorInfo.hasContextTag(0)) {
            originatorInfo.toASN1Primitive(); // certificates and CRLs: loaded, then dropped
            next = enveloped.readObject();
        }
        ASN1SetParser recipientInfos = as(ASN1SetParser.class, next, "recipientInfos");
        int recipients = 0;
        for (ASN1Encodable info = recipientInfos.readObject(); info != null; info = recipientInfos.readObject()) {
            RecipientInfo.getInstance(info.toASN1Primitive()).getInfo(); // throws if it is not a RecipientInfo
            recipients++;
        }
        if (recipients == 0) {
            throw new NotEncrypted("no RecipientInfo");
        }
        checkEncryptedContentInfo(as(ASN1SequenceParser.class, enveloped.readObject(), "encryptedContentInfo"));

        next = enveloped.readObject();
        if (!authenticated) {
            if (next instanceof ASN1TaggedObjectParser attributes && attributes.hasContextTag(1)) {
                attributes.toASN1Primitive();
                next = enveloped.readObject();
            }
        } else {
            if (next instanceof ASN1TaggedObjectParser attributes && attributes.hasContextTag(1)) {
                attributes.toASN1Primitive();
                next = enveloped.readObject();
            }
            drain(as(ASN1OctetStringParser.class, next, "mac").getOctetStream());
            next = enveloped.readObject();
            if (next instanceof ASN1TaggedObjectParser attributes && attributes.hasContextTag(2)) {
                attributes.toASN1Primitive();
                next = enveloped.readObject();
            }
        }
        if (next != null) {
            throw new NotEncrypted("unexpected field after the encrypted content");
        }
        return recipients;
    }

    /** EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm, encryptedContent [0] IMPLICIT OPTIONAL }. */
    private static void checkEncryptedContentInfo(ASN1SequenceParser info) throws IOException, NotEncrypted {
        as(ASN1ObjectIdentifier.class, info.readObject(), "encrypted contentType");
        ASN1Encodable algorithm = info.readObject();
        if (algorithm == null) {
            throw new NotEncrypted("no content encryption algorithm");
        }
        AlgorithmIdentifier.getInstance(algorithm.toASN1Primitive());
        ASN1Encodable content = info.readObject();
        if (!(content instanceof ASN1TaggedObjectParser tagged) || !tagged.hasContextTag(0)) {
            throw new NotEncrypted("the encrypted content is not in the message");
        }
        ASN1OctetStringParser octets = as(ASN1OctetStringParser.class,
                tagged.parseBaseUniversal(false, BERTags.OCTET_STRING), "encryptedContent");
        long length = drain(octets.getOctetStream());
        if (length == 0) {
            throw new NotEncrypted("the encrypted content is empty");
        }
        if (info.readObject() != null) {
            throw new NotEncrypted("extra fields in EncryptedContentInfo");
        }
    }

    private static <T> T as(Class<T> type, Object value, String what) throws NotEncrypted {
        if (!type.isInstance(value)) {
            throw new NotEncrypted(what + " is missing or not a " + type.getSimpleName());
        }
        return type.cast(value);
    }

    // ---------------------------------------------------------------- PGP/MIME

    private static Verdict checkPgpMime(List<HeaderField> header, ContentType type, InputStream body)
            throws IOException, NotEncrypted {
        String protocol = type.parameter("protocol");
        if (protocol == null || !protocol.strip().equalsIgnoreCase("application/pgp-encrypted")) {
            throw new NotEncrypted("multipart/encrypted protocol is not application/pgp-encrypted");
        }
        String encoding = transferEncoding(header, "the message");
        if (!Set.of("7bit", "8bit", "binary").contains(encoding)) {
            throw new NotEncrypted("multipart/encrypted has transfer encoding " + encoding);
        }
        String boundary = type.parameter("boundary");
        if (boundary == null || boundary.isEmpty() || boundary.length() > 200
                || boundary.chars().anyMatch(c -> c == '\r' || c == '\n')) {
            throw new NotEncrypted("multipart/encrypted has no usable boundary");
        }
        MultipartSplitter parts = new MultipartSplitter(body, boundary);
        if (!parts.skipPreamble(MAX_PREAMBLE_BYTES)) {
            throw new NotEncrypted("no first part, or the preamble is too long or clashes with the boundary");
        }
        InputStream control = parts.nextPart();
        checkControlPart(control);
        InputStream data = parts.nextPart();
        if (data == null) {
            throw new NotEncrypted("multipart/encrypted has only one part");
        }
        int packets = checkDataPart(data);
        if (parts.nextPart() != null) {
            throw new NotEncrypted("multipart/encrypted has more than two parts");
        }
        if (!parts.epilogueIsHarmless(MAX_PREAMBLE_BYTES)) {
            throw new NotEncrypted("the epilogue is too long or clashes with the boundary");
        }
        return new Verdict(true, "PGP/MIME with " + packets + " session key packet(s)");
    }

    /** The first part: application/pgp-encrypted, body {@code Version: 1} (and perhaps other control fields). */
    private static void checkControlPart(InputStream part) throws IOException, NotEncrypted {
        HeaderBlock header = HeaderBlock.read(part);
        ContentType type = singleContentType(header.fields(), "the first part");
        if (!type.value().equals("application/pgp-encrypted")) {
            throw new NotEncrypted("the first part is not application/pgp-encrypted");
        }
        String encoding = transferEncoding(header.fields(), "the first part");
        if (!encoding.equals("7bit") && !encoding.equals("8bit")) {
            throw new NotEncrypted("the first part has transfer encoding " + encoding);
        }
        InputStream body = new SequenceInputStream(new ByteArrayInputStream(header.consumedBody()), part);
        byte[] bytes = body.readNBytes(MAX_CONTROL_BYTES + 1);
        if (bytes.length > MAX_CONTROL_BYTES) {
            throw new NotEncrypted("the first part is too long for control information");
        }
        boolean version = false;
        for (String line : new String(bytes, StandardCharsets.US_ASCII).split("\r?\n", -1)) {
            String field = line.strip();
            if (field.isEmpty()) {
                continue;
            }
            if (!field.matches("[A-Za-z0-9-]+:.*")) {
                throw new NotEncrypted("the first part holds more than control information");
            }
            version |= field.matches("(?i)version:\\s*1");
        }
        if (!version) {
            throw new NotEncrypted("the first part does not say Version: 1");
        }
    }

    /** The second part: application/octet-stream, one armored PGP MESSAGE of encrypted packets. */
    private static int checkDataPart(InputStream part) throws IOException, NotEncrypted {
        HeaderBlock header = HeaderBlock.read(part);
        ContentType type = singleContentType(header.fields(), "the second part");
        if (!type.value().equals("application/octet-stream")) {
            throw new NotEncrypted("the second part is not application/octet-stream");
        }
        String encoding = transferEncoding(header.fields(), "the second part");
        if (!encoding.equals("7bit") && !encoding.equals("8bit")) {
            throw new NotEncrypted("the second part has transfer encoding " + encoding);
        }
        InputStream body = new SequenceInputStream(new ByteArrayInputStream(header.consumedBody()), part);
        ArmorFrame frame = new ArmorFrame(body);
        ArmoredInputStream armored = ArmoredInputStream.builder().build(frame);
        int sessionKeys = checkPackets(new BCPGInputStream(armored));
        frame.transferTo(OutputStream.nullOutputStream());
        frame.requireComplete();
        return sessionKeys;
    }

    /** One or more PKESK/SKESK packets, then one encrypted data packet, then nothing. */
    private static int checkPackets(BCPGInputStream packets) throws IOException, NotEncrypted {
        int sessionKeys = 0;
        int tag = packets.nextPacketTag();
        while (SESSION_KEY_PACKETS.contains(tag)) {
            packets.readPacket(); // parses the packet; small
            sessionKeys++;
            tag = packets.nextPacketTag();
        }
        if (sessionKeys == 0) {
            throw new NotEncrypted("the PGP message does not start with a PKESK or SKESK packet (tag " + tag + ")");
        }
        if (!ENCRYPTED_DATA_PACKETS.contains(tag)) {
            throw new NotEncrypted("no encrypted data packet after the session key packets (tag " + tag + ")");
        }
        Packet data = packets.readPacket();
        if (!(data instanceof InputStreamPacket stream)) {
            throw new NotEncrypted("the encrypted data packet cannot be read");
        }
        if (drain(stream.getInputStream()) == 0) {
            throw new NotEncrypted("the encrypted data packet is empty");
        }
        tag = packets.nextPacketTag();
        if (tag >= 0) {
            throw new NotEncrypted("a packet (tag " + tag + ") follows the encrypted data");
        }
        return sessionKeys;
    }

    // ---------------------------------------------------------------- shared

    private static ContentType singleContentType(List<HeaderField> header, String where) throws NotEncrypted {
        List<HeaderField> types = header.stream().filter(field -> field.is("Content-Type")).toList();
        if (types.size() != 1) {
            throw new NotEncrypted(where + " has " + types.size() + " Content-Type fields");
        }
        return ContentType.parse(types.get(0).value());
    }

    /** The Content-Transfer-Encoding, lower-cased; 7bit if there is none. */
    private static String transferEncoding(List<HeaderField> header, String where) throws NotEncrypted {
        List<HeaderField> encodings = header.stream().filter(field -> field.is("Content-Transfer-Encoding")).toList();
        if (encodings.size() > 1) {
            throw new NotEncrypted(where + " has " + encodings.size() + " Content-Transfer-Encoding fields");
        }
        return encodings.isEmpty() ? "7bit" : ContentType.parse(encodings.get(0).value()).value();
    }

    private static long drain(InputStream in) throws IOException {
        return in.transferTo(OutputStream.nullOutputStream());
    }

    private static boolean isWhitespace(int c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0x0b;
    }

    private static void requireOnlyWhitespace(InputStream in, String problem) throws IOException, NotEncrypted {
        for (int c = in.read(); c >= 0; c = in.read()) {
            if (!isWhitespace(c)) {
                throw new NotEncrypted(problem);
            }
        }
    }

    /** A negative verdict, thrown from wherever it is found. */
    private static final class NotEncrypted extends Exception {
        NotEncrypted(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Remembers a failure of the underlying stream, to tell it apart from malformed content. */
    private static final class Source extends FilterInputStream {
        IOException failure;

        Source(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public void close() {
            // the caller owns the stream
        }
    }

    /**
     * Strict base64 (RFC 2045) decoding: whitespace anywhere is skipped, any other character outside the
     * alphabet is an error, and after the padding only whitespace may follow.
     */
    static final class Base64Body extends InputStream {
        private static final int[] VALUES = new int[128];

        static {
            Arrays.fill(VALUES, -1);
            String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            for (int i = 0; i < alphabet.length(); i++) {
                VALUES[alphabet.charAt(i)] = i;
            }
        }

        private final InputStream in;
        private final byte[] input = new byte[16 * 1024];
        private int inputPosition;
        private int inputLimit;
        private final byte[] decoded = new byte[3];
        private int available;
        private int position;
        private boolean finished;

        Base64Body(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            if (position >= available && !fill()) {
                return -1;
            }
            return decoded[position++] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            int n = 0;
            while (n < length) {
                if (position >= available && !fill()) {
                    return n == 0 ? -1 : n;
                }
                target[offset + n++] = decoded[position++];
            }
            return n;
        }

        /** Decodes the next quantum; false at the end. */
        private boolean fill() throws IOException {
            if (finished) {
                return false;
            }
            int bits = 0;
            int count = 0;
            int padding = 0;
            while (count + padding < 4) {
                int c = nextChar();
                if (c < 0) {
                    break;
                }
                if (isWhitespace(c)) {
                    continue;
                }
                if (c == '=') {
                    if (count < 2) {
                        throw new IOException("misplaced base64 padding");
                    }
                    padding++;
                    continue;
                }
                int value = c < 128 ? VALUES[c] : -1;
                if (value < 0) {
                    throw new IOException("not base64: byte 0x" + Integer.toHexString(c));
                }
                if (padding > 0) {
                    throw new IOException("base64 data after padding");
                }
                bits = bits << 6 | value;
                count++;
            }
            if (count == 0 && padding == 0) {
                finished = true;
                return false;
            }
            if (count == 1) {
                throw new IOException("base64 ends in the middle of a byte");
            }
            if (padding > 0 || count < 4) { // the final quantum (padded, or unpadded at the end)
                finished = true;
                if (padding > 0) {
                    requireWhitespaceOnly();
                }
            }
            bits <<= 6 * (4 - count);
            available = count - 1;
            decoded[0] = (byte) (bits >> 16);
            decoded[1] = (byte) (bits >> 8);
            decoded[2] = (byte) bits;
            position = 0;
            return true;
        }

        private int nextChar() throws IOException {
            if (inputPosition == inputLimit) {
                int n = in.read(input);
                if (n < 0) {
                    return -1;
                }
                inputPosition = 0;
                inputLimit = n;
            }
            return input[inputPosition++] & 0xff;
        }

        private void requireWhitespaceOnly() throws IOException {
            for (int c = nextChar(); c >= 0; c = nextChar()) {
                if (!isWhitespace(c)) {
                    throw new IOException("data after the end of the base64");
                }
            }
        }
    }

    /**
     * Passes an ASCII-armored PGP MESSAGE through unchanged while checking its frame line by line: only blank
     * lines before {@code -----BEGIN PGP MESSAGE-----}, armor header fields up to a blank line, base64 lines
     * and an optional checksum line, {@code -----END PGP MESSAGE-----}, then only blank lines. Bouncy Castle's
     * armor decoder does the decoding and checksum; this keeps text from hiding around or inside the armor.
     */
    static final class ArmorFrame extends ChunkedInputStream {
        private static final String BEGIN = "-----BEGIN PGP MESSAGE-----";
        private static final String END = "-----END PGP MESSAGE-----";
        private static final int MAX_LINE = 8 * 1024;

        private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9-]+:( .*)?");
        private static final Pattern CHECKSUM = Pattern.compile("=[A-Za-z0-9+/]{4}");

        private enum State { BEFORE, HEADERS, DATA, CHECKSUM_SEEN, AFTER }

        private final MultipartSplitter.LineReader lines;
        private State state = State.BEFORE;
        private int headerBytes;

        ArmorFrame(InputStream in) {
            this.lines = new MultipartSplitter.LineReader(in, MAX_LINE);
        }

        /** Throws unless the whole armor, END line included, has been read. */
        void requireComplete() throws EOFException {
            if (state != State.AFTER) {
                throw new EOFException("the armored PGP message is truncated");
            }
        }

        @Override
        protected boolean fill() throws IOException {
            while (position >= buffer.length) {
                MultipartSplitter.Line line = lines.next();
                if (line == null) {
                    return false;
                }
                if (!line.complete()) {
                    throw new IOException("overlong line in the armored PGP message");
                }
                check(new String(line.content(), StandardCharsets.ISO_8859_1).stripTrailing());
                byte[] content = line.content();
                buffer = Arrays.copyOf(content, content.length + 1);
                buffer[content.length] = '\n'; // the armor decoder needs a line end, also on the last line
                position = 0;
            }
            return true;
        }

        /** {@code [A-Za-z0-9+/]+={0,2}}, without a regular expression: there is one per 48 bytes of message. */
        private static boolean isBase64Line(String line) {
            int end = line.length();
            int padding = 0;
            while (end > 0 && line.charAt(end - 1) == '=' && padding < 2) {
                end--;
                padding++;
            }
            if (end == 0) {
                return false;
            }
            for (int i = 0; i < end; i++) {
                char c = line.charAt(i);
                if (c >= 128 || Base64Body.VALUES[c] < 0) {
                    return false;
                }
            }
            return true;
        }

        private void check(String line) throws IOException {
            switch (state) {
                case BEFORE -> {
                    if (line.equals(BEGIN)) {
                        state = State.HEADERS;
                    } else if (!line.isBlank()) {
                        throw new IOException("text before the PGP armor");
                    }
                }
                case HEADERS -> {
                    headerBytes += line.length();
                    if (line.isEmpty()) {
                        state = State.DATA;
                    } else if (!HEADER.matcher(line).matches() || headerBytes > MAX_ARMOR_HEADER_BYTES) {
                        throw new IOException("bad armor header");
                    }
                }
                case DATA -> {
                    if (line.equals(END)) {
                        state = State.AFTER;
                    } else if (CHECKSUM.matcher(line).matches()) {
                        state = State.CHECKSUM_SEEN;
                    } else if (line.isEmpty() || !isBase64Line(line)) {
                        throw new IOException("not a base64 line in the PGP armor");
                    }
                }
                case CHECKSUM_SEEN -> {
                    if (!line.equals(END)) {
                        throw new IOException("no END line after the armor checksum");
                    }
                    state = State.AFTER;
                }
                case AFTER -> {
                    if (!line.isBlank()) {
                        throw new IOException("text after the PGP armor");
                    }
                }
                default -> throw new IllegalStateException(state.toString());
            }
        }
    }
}
