package dev.veil.crypto;

import dev.veil.config.KeySettings;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.bouncycastle.bcpg.AEADAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.operator.PGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePublicKeyKeyEncryptionMethodGenerator;

/**
 * Seals a message as PGP/MIME (RFC 3156): {@code multipart/encrypted} with the version part and the
 * ASCII-armored OpenPGP message. The encrypted plaintext is the original message, byte for byte with line ends
 * made CRLF and a final CRLF added if it had none; its full header (Subject included) travels only inside, as
 * in RFC 9788 header protection. The outer header keeps only the fields delivery needs and a placeholder
 * Subject, exactly as {@link SmimeSealer} writes it.
 *
 * <p>The OpenPGP message: one public-key encrypted session key packet per distinct recipient key (and the
 * escrow key), then an integrity-protected packet holding an uncompressed literal data packet. Which one is chosen
 * per message ({@link SeipdChoice}):
 * <ul>
 *   <li>SEIPD v1 (MDC) with AES-256 behind v3 PKESKs, what GnuPG 2.2 reads — unless every recipient key advertises
 *       SEIPD v2; Veil's own keys never do. Bulk AES runs in the JDK's provider.</li>
 *   <li>SEIPD v2 (RFC 9580) with AES-256 in OCB mode, 256 KiB chunks, behind v6 PKESKs, when every recipient key is a
 *       v6 key or a v4 key advertising SEIPD v2; the escrow key goes in a v6 PKESK too (Veil reads it). The armor
 *       then has no CRC-24 line (RFC 9580 section 6.1). OCB runs in Bouncy Castle: the JDK has no OCB.</li>
 *   <li>Nothing, with a {@link KeyException}, when a v6 key and a key that advertises only v1 are both recipients.</li>
 * </ul>
 * {@code request.cipher()} is an S/MIME choice and is ignored here.
 *
 * <p>Streams: memory use does not grow with the message (partial-length packets). All keys are resolved and the
 * container chosen before the first byte is written, so a missing or unusable key leaves {@code out} untouched; an
 * I/O error part-way leaves partial output that the caller must discard.
 */
public final class PgpMimeSealer implements MessageSealer {
    private static final int BUFFER = 64 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final SecureRandom RANDOM = new SecureRandom();
    /** SEIPD v2 chunk size as a power of two: 2^18 bytes; RFC 9580 allows up to 2^22. */
    private static final int V2_CHUNK_BITS = 18;

    private final OpenPgpKeys keys;
    private final ExternalKeys external;
    private final KeyDiscovery discovery;
    private final NamedKeyFiles named;
    private final KeySettings settings;
    /** The recipients Veil keeps keys for (the protected domains' users); anyone else's must be imported or found. */
    private final Predicate<String> ownUsers;

    public PgpMimeSealer(OpenPgpKeys keys, KeySettings settings) {
        this(keys, null, settings);
    }

    /**
     * A sealer that encrypts to a recipient's imported OpenPGP key ({@code external}, may be null) when Veil has not
     * issued one for the address: a Veil-issued key first, else an imported one, else a new one is issued (if
     * {@code settings} allow).
     */
    public PgpMimeSealer(OpenPgpKeys keys, ExternalKeys external, KeySettings settings) {
        this(keys, external, null, settings);
    }

    /**
     * As above, and when neither Veil nor the admin has a key for a recipient and the policy turns
     * {@code keys.openpgp.web-key-directory} on, the key the recipient's domain publishes ({@code discovery}, may be
     * null) comes before issuing one.
     */
    public PgpMimeSealer(OpenPgpKeys keys, ExternalKeys external, KeyDiscovery discovery, KeySettings settings) {
        this(keys, external, discovery, null, settings);
    }

    /**
     * As above, and the policy's named keys ({@code keys.named}) are read through {@code named} (may be null: then a
     * request naming one fails).
     */
    public PgpMimeSealer(OpenPgpKeys keys, ExternalKeys external, KeyDiscovery discovery, NamedKeyFiles named,
                         KeySettings settings) {
        this(keys, external, discovery, named, settings, recipient -> true);
    }

    /**
     * As above, with {@code ownUsers} saying whose keys Veil makes and keeps (a protected domain's users): anyone else
     * is encrypted to only with a key imported or found for them, never one Veil made, whose secret only Veil holds.
     */
    public PgpMimeSealer(OpenPgpKeys keys, ExternalKeys external, KeyDiscovery discovery, NamedKeyFiles named,
                         KeySettings settings, Predicate<String> ownUsers) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.external = external;
        this.discovery = discovery;
        this.named = named;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.ownUsers = Objects.requireNonNull(ownUsers, "ownUsers");
    }

    @Override
    public SealReport seal(InputStream original, OutputStream out, SealRequest request) throws KeyException, IOException {
        Map<String, SeipdChoice.Target> recipients = resolve(request);
        int seipdVersion = SeipdChoice.version(recipients.values());
        String boundary = "veil-pgp-" + HexFormat.of().formatHex(randomBytes(16));

        InputStream in = new BufferedInputStream(original, BUFFER);
        HeaderBlock header = HeaderBlock.read(in);
        OutputStream buffered = new BufferedOutputStream(new NonClosingOutputStream(out), BUFFER);
        writeOuterHeader(header, request, boundary, buffered);
        ascii(buffered, "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Type: application/pgp-encrypted\r\n"
                + "Content-Description: PGP/MIME version identification\r\n"
                + "\r\n"
                + "Version: 1\r\n"
                + "\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
                + "Content-Description: OpenPGP encrypted message\r\n"
                + "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n"
                + "\r\n");

        // RFC 9580 section 6.1: armor around a v2 SEIPD packet MUST NOT carry the CRC-24 line; gpg 2.2 wants it on v1.
        ArmorOutputStream armor = new ArmorOutputStream(buffered, "PGP MESSAGE", seipdVersion == 1);
        PGPEncryptedDataGenerator encryption = new PGPEncryptedDataGenerator(dataEncryptor(seipdVersion));
        for (SeipdChoice.Target target : recipients.values()) {
            // the PKESK version (3 or 6) follows the data encryptor's: v6 with SEIPD v2
            encryption.addMethod(new JcePublicKeyKeyEncryptionMethodGenerator(target.key()).setProvider(Providers.BC)
                    .setSecureRandom(RANDOM));
        }
        try {
            OutputStream encrypted = encryption.open(armor, new byte[BUFFER]);
            PGPLiteralDataGenerator literal = new PGPLiteralDataGenerator();
            OutputStream literalOut = literal.open(encrypted, PGPLiteralData.BINARY, "", new Date(), new byte[BUFFER]);
            FinalLineEnd plaintext = new FinalLineEnd(literalOut);
            CrlfOutputStream canonical = new CrlfOutputStream(plaintext, false);
            header.writeConsumedTo(canonical);
            in.transferTo(canonical);
            canonical.finish();
            canonical.flush(); // CrlfOutputStream buffers; its close() would close the literal stream
            plaintext.finish();
            literal.close();    // ends the literal data packet
            encryption.close(); // writes the MDC and ends the encrypted packet
        } catch (PGPException e) {
            throw new IOException("OpenPGP encryption failed: " + e.getMessage(), e);
        }
        armor.close();      // checksum and END line; does not close buffered
        ascii(buffered, "\r\n--" + boundary + "--\r\n");
        buffered.flush();
        return new SealReport(List.copyOf(recipients.keySet()));
    }

    /** SEIPD v1: AES-256 CFB with MDC in SunJCE. SEIPD v2: AES-256 OCB in Bouncy Castle, 2^18-byte chunks. */
    private static PGPDataEncryptorBuilder dataEncryptor(int seipdVersion) {
        if (seipdVersion == 2) {
            // 256 KiB chunks: a reader holds one chunk before releasing it, and the tags add 16 bytes per chunk
            return new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                    .setWithAEAD(AEADAlgorithmTags.OCB, V2_CHUNK_BITS)
                    .setUseV6AEAD()
                    .setSecureRandom(RANDOM);
        }
        return new JcePGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                .setWithIntegrityPacket(true)
                .setProvider(Providers.JDK_AES) // SunJCE's AES; Bouncy Castle's is several times slower
                .setSecureRandom(RANDOM);
    }

    /** The encryption key of every target, by fingerprint (so a key named twice is used once), in request order. */
    private Map<String, SeipdChoice.Target> resolve(SealRequest request) throws KeyException {
        Map<String, SeipdChoice.Target> recipients = new LinkedHashMap<>();
        for (String recipient : request.recipients()) {
            PGPPublicKeyRing ring = recipientKey(recipient);
            add(recipients, ring, recipient, SeipdSupport.of(ring));
        }
        if (request.escrow()) {
            PGPPublicKeyRing escrow = keys.escrowKey();
            // Veil's opener reads both containers, so the escrow never holds a message back to v1 (see SeipdChoice)
            SeipdSupport support = SeipdSupport.of(escrow) == SeipdSupport.V2_ONLY ? SeipdSupport.V2_ONLY : SeipdSupport.V1_AND_V2;
            add(recipients, escrow, "the escrow key", support);
        }
        for (String name : request.namedKeys()) {
            PGPPublicKeyRing ring = namedKey(name);
            add(recipients, ring, "named key '" + name + "'", SeipdSupport.of(ring));
        }
        if (recipients.isEmpty()) {
            throw new KeyMissingException("nothing to encrypt to: the request names no recipient, no escrow and no key");
        }
        return recipients;
    }

    private PGPPublicKeyRing namedKey(String name) throws KeyException {
        if (named == null) {
            throw new KeyMissingException("named key '" + name + "' cannot be read: this sealer has no named key files");
        }
        return named.publicKey(NamedKeyFiles.definition(settings, name));
    }

    private PGPPublicKeyRing recipientKey(String recipient) throws KeyException {
        boolean own = ownUsers.test(recipient);
        if (external != null) {
            Optional<PGPPublicKeyRing> issued = own ? keys.findUserKey(recipient) : Optional.empty();
            if (issued.isPresent()) {
                return issued.get();
            }
            Optional<PGPPublicKeyRing> imported = external.openPgpKey(recipient);
            if (imported.isPresent()) {
                return imported.get();
            }
            if (discovery != null && settings.webKeyDirectory()) {
                Optional<PGPPublicKeyRing> published = discovery.lookup(recipient);
                if (published.isPresent()) {
                    return published.get();
                }
            }
        }
        if (!own) {
            throw new KeyMissingException("no OpenPGP key imported or published for " + recipient + ", who is not a"
                    + " user of a protected domain: Veil makes keys only for those (import the recipient's with"
                    + " veil keys import)");
        }
        return keys.userKey(recipient, settings);
    }

    private static void add(Map<String, SeipdChoice.Target> recipients, PGPPublicKeyRing ring, String owner,
                            SeipdSupport support) throws KeyException {
        PGPPublicKey key = OpenPgpKeyMaterial.encryptionKey(ring, owner);
        recipients.putIfAbsent(OpenPgpKeyMaterial.fingerprint(key), new SeipdChoice.Target(owner, key, support));
    }

    /** The outer header as {@link OuterHeader} writes it for S/MIME, with the PGP/MIME content type. */
    private static void writeOuterHeader(HeaderBlock original, SealRequest request, String boundary, OutputStream out)
            throws IOException {
        OuterHeader.writeShownFields(original, request, out);
        ascii(out, "Subject: " + OuterHeader.encodeSubject(request.subjectPlaceholder()) + "\r\n");
        ascii(out, "MIME-Version: 1.0\r\n");
        ascii(out, "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n"
                + " boundary=\"" + boundary + "\"\r\n");
        out.write(CRLF);
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static void ascii(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Remembers whether the text so far ends with a line end and adds CRLF at {@link #finish()} if not. */
    private static final class FinalLineEnd extends FilterOutputStream {
        private boolean empty = true;
        private byte last;

        FinalLineEnd(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            empty = false;
            last = (byte) b;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            if (length > 0) {
                out.write(bytes, offset, length);
                empty = false;
                last = bytes[offset + length - 1];
            }
        }

        void finish() throws IOException {
            if (!empty && last != '\n') {
                out.write(CRLF);
            }
        }
    }
}
