package dev.veil.crypto;

import dev.veil.config.ContentCipher;
import dev.veil.config.KeySettings;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Seals a message as S/MIME (RFC 8551): the original message, byte for byte with line ends made CRLF, becomes
 * the encrypted content; the outer header keeps only the fields delivery needs and a placeholder Subject.
 *
 * <p>Streams: memory use does not grow with the message (only the header block is held). All keys are
 * resolved before the first byte is written, so a missing key leaves {@code out} untouched; an I/O error
 * part-way leaves partial output that the caller must discard.
 */
public final class SmimeSealer implements MessageSealer {
    /**
     * Stream buffers: 8 KiB, so that a read of at least that much bypasses the input buffer; larger writes (the
     * base64 blocks) bypass the output buffer. Every buffer is allocated and zeroed per message, and 64 KiB ones were
     * a measurable part of sealing a 5 KB message.
     */
    private static final int BUFFER = 8 * 1024;
    /**
     * The body is read in chunks of up to this much, which go on to the cipher mostly as they are (see
     * {@link CrlfOutputStream}); the chunk grows from {@link #BUFFER} only for a body that fills it.
     */
    private static final int MAX_CHUNK = 64 * 1024;

    private final VeilKeys keys;
    private final ExternalKeys external;
    private final NamedKeyFiles named;
    private final KeySettings settings;
    /** The recipients Veil keeps keys for (the protected domains' users); anyone else's must be imported. */
    private final Predicate<String> ownUsers;

    public SmimeSealer(VeilKeys keys, KeySettings settings) {
        this(keys, null, settings);
    }

    /**
     * A sealer that encrypts to a recipient's imported certificate ({@code external}, may be null) when Veil has not
     * issued one for the address: a Veil-issued certificate first, else an imported one, else a new one is issued
     * (if {@code settings} allow).
     */
    public SmimeSealer(VeilKeys keys, ExternalKeys external, KeySettings settings) {
        this(keys, external, null, settings);
    }

    /**
     * As above, and the policy's named keys ({@code keys.named}) are read through {@code named} (may be null: then a
     * request naming one fails).
     */
    public SmimeSealer(VeilKeys keys, ExternalKeys external, NamedKeyFiles named, KeySettings settings) {
        this(keys, external, named, settings, recipient -> true);
    }

    /**
     * As above, with {@code ownUsers} saying whose certificates Veil issues and keeps (a protected domain's users):
     * anyone else is encrypted to only with a certificate imported for them ({@code external}), never one Veil made,
     * whose private key only Veil would hold.
     */
    public SmimeSealer(VeilKeys keys, ExternalKeys external, NamedKeyFiles named, KeySettings settings,
                       Predicate<String> ownUsers) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.external = external;
        this.named = named;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.ownUsers = Objects.requireNonNull(ownUsers, "ownUsers");
    }

    @Override
    public SealReport seal(InputStream original, OutputStream out, SealRequest request) throws KeyException, IOException {
        ContentCipher cipher = Objects.requireNonNull(request.cipher(), "request.cipher");
        Map<String, X509Certificate> certificates = resolve(request);

        InputStream in = new BufferedInputStream(original, BUFFER);
        HeaderBlock header = HeaderBlock.read(in);
        OutputStream buffered = new BufferedOutputStream(new NonClosingOutputStream(out), BUFFER);
        OuterHeader.write(header, request, buffered);

        OutputStream base64 = Base64LinesOutputStream.open(buffered, 76);
        OutputStream plaintext = new CrlfOutputStream(
                CmsEncryption.open(cipher, new ArrayList<>(certificates.values()), base64), true);
        header.writeConsumedTo(plaintext);
        copyBody(in, plaintext);
        plaintext.close(); // ends the CMS structure (writes the GCM tag)
        base64.close();    // writes the last base64 line and its CRLF
        buffered.flush();
        return new SealReport(List.copyOf(certificates.keySet()));
    }

    private static void copyBody(InputStream in, OutputStream plaintext) throws IOException {
        byte[] chunk = new byte[BUFFER];
        for (int n; (n = in.readNBytes(chunk, 0, chunk.length)) > 0; ) {
            plaintext.write(chunk, 0, n);
            if (n == chunk.length && chunk.length < MAX_CHUNK) {
                chunk = new byte[Math.min(4 * chunk.length, MAX_CHUNK)];
            }
        }
    }

    /** Every certificate to encrypt to, by fingerprint (so a key named twice is used once), in request order. */
    private Map<String, X509Certificate> resolve(SealRequest request) throws KeyException {
        Map<String, X509Certificate> certificates = new LinkedHashMap<>();
        for (String recipient : request.recipients()) {
            add(certificates, recipientCertificate(recipient));
        }
        if (request.escrow()) {
            add(certificates, keys.escrowCertificate());
        }
        for (String name : request.namedKeys()) {
            add(certificates, namedCertificate(name));
        }
        if (certificates.isEmpty()) {
            throw new KeyMissingException("nothing to encrypt to: the request names no recipient, no escrow and no key");
        }
        return certificates;
    }

    private X509Certificate recipientCertificate(String recipient) throws KeyException {
        boolean own = ownUsers.test(recipient);
        if (external != null) {
            Optional<X509Certificate> issued = own ? keys.findUserCertificate(recipient) : Optional.empty();
            if (issued.isPresent()) {
                return issued.get();
            }
            Optional<X509Certificate> imported = external.smimeCertificate(recipient);
            if (imported.isPresent()) {
                return imported.get();
            }
        }
        if (!own) {
            throw new KeyMissingException("no S/MIME certificate imported for " + recipient + ", who is not a user of"
                    + " a protected domain: Veil issues certificates only for those (import the recipient's with"
                    + " veil keys import)");
        }
        return keys.userCertificate(recipient, settings);
    }

    private X509Certificate namedCertificate(String name) throws KeyException {
        if (named == null) {
            throw new KeyMissingException("named key '" + name + "' cannot be read: this sealer has no named key files");
        }
        return named.certificate(NamedKeyFiles.definition(settings, name));
    }

    private static void add(Map<String, X509Certificate> certificates, X509Certificate certificate) {
        certificates.putIfAbsent(Fingerprints.sha256(certificate), certificate);
    }
}
