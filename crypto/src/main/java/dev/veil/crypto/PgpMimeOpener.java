package dev.veil.crypto;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.bcpg.AEADAlgorithmTags;
import org.bouncycastle.bcpg.KeyIdentifier;
import org.bouncycastle.bcpg.SymmetricEncIntegrityPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPadding;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.operator.PublicKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcePublicKeyDataDecryptorFactoryBuilder;

/**
 * Decrypts PGP/MIME (RFC 3156) messages, Veil's own or any other sender's (gpg, Thunderbird), with whichever
 * secret key in the {@link OpenPgpKeys} store they were encrypted to, streaming the plaintext.
 *
 * <p>Only integrity-protected data is accepted: SEIPD v1 (behind v3 PKESKs) and SEIPD v2 (RFC 9580, AEAD, behind v6
 * PKESKs). The old unprotected packet and LibrePGP's OCB packet (tag 20) are refused before any output. The v1
 * integrity check (MDC) can only happen at the end, after the plaintext was streamed; v2 releases a chunk only once
 * its tag verified, but a later chunk, the final tag or a truncation can still fail: if {@code open} throws, discard
 * everything written to the output. Signatures inside are not verified (they are skipped). Thread-safe.
 */
public final class PgpMimeOpener {
    private static final int BUFFER = 64 * 1024;
    /** Preamble and version part are tiny in practice; anything larger is not a PGP/MIME message we accept. */
    private static final long MAX_PREAMBLE = 64 * 1024;
    private static final int MAX_VERSION_PART = 4 * 1024;

    private final OpenPgpKeys keys;

    public PgpMimeOpener(OpenPgpKeys keys) {
        this.keys = keys;
    }

    /**
     * Decrypts a whole PGP/MIME message ({@code multipart/encrypted; protocol="application/pgp-encrypted"}) and
     * writes the inner message to {@code plaintext}.
     *
     * @throws KeyMissingException if no key in the store was a recipient; the message lists the key ids
     * @throws IOException if the message is not PGP/MIME encrypted, is damaged, or was altered
     */
    public OpenReport open(InputStream sealedMessage, OutputStream plaintext) throws KeyException, IOException {
        InputStream in = new BufferedInputStream(sealedMessage, BUFFER);
        HeaderBlock header = HeaderBlock.read(in);
        ContentType type = header.first("Content-Type").map(field -> ContentType.parse(field.value()))
                .orElseThrow(() -> new IOException("not a PGP/MIME message: it has no Content-Type"));
        String protocol = type.parameter("protocol");
        if (!type.value().equals("multipart/encrypted") || protocol == null
                || !protocol.strip().equalsIgnoreCase("application/pgp-encrypted")) {
            throw new IOException("not a PGP/MIME encrypted message: its Content-Type is " + type.value()
                    + (protocol == null ? "" : " with protocol " + protocol));
        }
        String boundary = type.parameter("boundary");
        if (boundary == null || boundary.isEmpty()) {
            throw new IOException("PGP/MIME message without a boundary");
        }
        MultipartSplitter parts = new MultipartSplitter(
                new SequenceInputStream(new ByteArrayInputStream(header.consumedBody()), in), boundary);
        if (!parts.skipPreamble(MAX_PREAMBLE)) {
            throw new IOException("PGP/MIME message has no first part");
        }
        InputStream versionPart = parts.nextPart();
        if (versionPart == null) {
            throw new IOException("PGP/MIME message has no version part");
        }
        byte[] version = versionPart.readNBytes(MAX_VERSION_PART);
        HeaderBlock versionHeader = HeaderBlock.parse(version);
        String versionType = versionHeader.first("Content-Type").map(field -> ContentType.parse(field.value()).value()).orElse("");
        if (!versionType.equals("application/pgp-encrypted")) {
            throw new IOException("the first part of the PGP/MIME message is " + versionType + ", not application/pgp-encrypted");
        }
        InputStream encryptedPart = parts.nextPart();
        if (encryptedPart == null) {
            throw new IOException("PGP/MIME message has no encrypted part");
        }
        InputStream partIn = new BufferedInputStream(encryptedPart, BUFFER);
        HeaderBlock partHeader = HeaderBlock.read(partIn);
        String encoding = partHeader.first("Content-Transfer-Encoding")
                .map(field -> field.value().toLowerCase(Locale.ROOT)).orElse("7bit");
        InputStream body = new SequenceInputStream(new ByteArrayInputStream(partHeader.consumedBody()), partIn);
        return openMessage(encoding.equals("base64") ? Base64.getMimeDecoder().wrap(body) : body, plaintext);
    }

    /** Decrypts an OpenPGP message, ASCII-armored or binary. */
    public OpenReport openMessage(InputStream message, OutputStream plaintext) throws KeyException, IOException {
        BufferedInputStream in = new BufferedInputStream(message, BUFFER);
        in.mark(1);
        int first = in.read();
        in.reset();
        // A binary message starts with a packet tag (high bit set); anything else is taken for armor.
        InputStream decoded = first >= 0 && (first & 0x80) != 0 ? in : new ArmorInputStream(in);
        PGPEncryptedDataList list = encryptedDataList(new PGPObjectFactory(decoded, new BcKeyFingerprintCalculator()));
        List<OpenPgpEntry> entries = keys.decryptionEntries();
        Set<String> keyIds = new LinkedHashSet<>();
        for (PGPEncryptedData data : list) {
            if (!(data instanceof PGPPublicKeyEncryptedData encrypted)) {
                keyIds.add("(passphrase)");
                continue;
            }
            KeyIdentifier id = encrypted.getKeyIdentifier();
            keyIds.add(id.isWildcard() ? "(hidden recipient)" : describe(id));
            for (OpenPgpEntry entry : entries) {
                if (!id.isWildcard() && entry.publicRing().getPublicKey(id) == null) {
                    continue;
                }
                OpenReport report = tryDecrypt(encrypted, entry, id, plaintext);
                if (report != null) {
                    return report;
                }
            }
        }
        throw new KeyMissingException("no key in the key store can decrypt this OpenPGP message; it was encrypted for: "
                + (keyIds.isEmpty() ? "(no recipients)" : String.join(", ", keyIds)));
    }

    /** @return null if this entry's key turns out not to fit (a hidden recipient tried with every key) */
    private OpenReport tryDecrypt(PGPPublicKeyEncryptedData encrypted, OpenPgpEntry entry, KeyIdentifier id,
                                  OutputStream plaintext) throws KeyException, IOException {
        PGPSecretKeyRing ring = keys.unwrap(entry);
        List<PGPSecretKey> candidates = new ArrayList<>();
        if (id.isWildcard()) {
            ring.getSecretKeys().forEachRemaining(key -> {
                if (key.getPublicKey().isEncryptionKey()) {
                    candidates.add(key);
                }
            });
        } else {
            PGPSecretKey key = ring.getSecretKey(id);
            if (key != null) {
                candidates.add(key);
            }
        }
        for (PGPSecretKey key : candidates) {
            // first: Bouncy Castle counts LibrePGP's packet as not integrity protected, which would misname it
            if (encrypted.isAEAD() && !(encrypted.getEncData() instanceof SymmetricEncIntegrityPacket)) {
                throw new IOException("the OpenPGP message uses LibrePGP's OCB packet (GnuPG 2.3+ \"AEAD\"), which is not"
                        + " RFC 9580: refused — Veil reads SEIPD v1 and v2");
            }
            if (!encrypted.isIntegrityProtected()) {
                throw new IOException("the OpenPGP message is not integrity protected (no MDC): refused");
            }
            PublicKeyDataDecryptorFactory factory;
            int algorithm;
            try {
                // Content in Bouncy Castle: v2's HKDF and OCB, and v1's ciphers other than AES that gpg still writes
                // (CAST5, IDEA, Twofish, Camellia), are not in SunJCE. v1's AES runs in the JDK all the same:
                // JdkCfbDecryptorFactory does it itself and takes only the MDC digest from this factory.
                factory = new JcePublicKeyDataDecryptorFactoryBuilder().setProvider(Providers.BC)
                        .setContentProvider(Providers.BC).build(key.extractPrivateKey(null));
                if (!encrypted.isAEAD()) {
                    factory = new JdkCfbDecryptorFactory(factory); // v1's CFB from whole-chunk key streams
                }
                algorithm = encrypted.getSymmetricAlgorithm(factory);
            } catch (PGPException | RuntimeException e) {
                if (id.isWildcard()) {
                    continue;
                }
                throw new KeyException("OpenPGP key '" + entry.id() + "' (" + OpenPgpKeyMaterial.fingerprint(key.getPublicKey())
                        + ") could not decrypt the session key: " + e.getMessage(), e);
            }
            copyPlaintext(encrypted, factory, plaintext);
            String name = algorithmName(algorithm);
            return new OpenReport(OpenPgpKeyMaterial.fingerprint(key.getPublicKey()),
                    OpenPgpKeyMaterial.fingerprint(ring.getPublicKey()), encrypted.isAEAD() ? name + "-" + aeadName(encrypted) : name);
        }
        return null;
    }

    private static void copyPlaintext(PGPPublicKeyEncryptedData encrypted, PublicKeyDataDecryptorFactory factory,
                                      OutputStream plaintext) throws IOException {
        try {
            InputStream clear = encrypted.getDataStream(factory);
            PGPObjectFactory objects = new PGPObjectFactory(clear, new BcKeyFingerprintCalculator());
            boolean literalSeen = false;
            Object object;
            while ((object = objects.nextObject()) != null) {
                if (object instanceof PGPCompressedData compressed) {
                    objects = new PGPObjectFactory(compressed.getDataStream(), new BcKeyFingerprintCalculator());
                } else if (object instanceof PGPLiteralData literal) {
                    if (literalSeen) {
                        throw new IOException("the OpenPGP message holds more than one literal data packet");
                    }
                    literalSeen = true;
                    literal.getInputStream().transferTo(plaintext);
                } else if (!(object instanceof PGPOnePassSignatureList || object instanceof PGPSignatureList
                        || object instanceof PGPMarker || object instanceof PGPPadding)) {
                    throw new IOException("unexpected " + object.getClass().getSimpleName() + " in the encrypted data");
                }
            }
            if (!literalSeen) {
                throw new IOException("the OpenPGP message holds no literal data");
            }
            clear.transferTo(OutputStream.nullOutputStream()); // up to the MDC
            if (!encrypted.verify()) {
                throw new IOException("integrity check (MDC) failed");
            }
        } catch (PGPException | IOException | RuntimeException e) {
            throw new IOException("decryption failed — the message was altered or damaged (" + e.getMessage() + ")", e);
        }
    }

    private static PGPEncryptedDataList encryptedDataList(PGPObjectFactory factory) throws IOException {
        try {
            Object object;
            while ((object = factory.nextObject()) != null) {
                if (object instanceof PGPEncryptedDataList list) {
                    return list;
                }
                if (!(object instanceof PGPMarker)) {
                    throw new IOException("not an encrypted OpenPGP message: it starts with " + object.getClass().getSimpleName());
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IOException("not a readable OpenPGP message: " + e.getMessage(), e);
        }
        throw new IOException("not an encrypted OpenPGP message: no encrypted data");
    }

    private static String describe(KeyIdentifier id) {
        byte[] fingerprint = id.getFingerprint();
        if (fingerprint != null) {
            return java.util.HexFormat.of().formatHex(fingerprint);
        }
        return String.format("%016x", id.getKeyId());
    }

    /** The AEAD mode of a SEIPD v2 packet: "OCB", "EAX" or "GCM". */
    private static String aeadName(PGPPublicKeyEncryptedData encrypted) {
        int aead = ((SymmetricEncIntegrityPacket) encrypted.getEncData()).getAeadAlgorithm();
        return switch (aead) {
            case AEADAlgorithmTags.OCB -> "OCB";
            case AEADAlgorithmTags.EAX -> "EAX";
            case AEADAlgorithmTags.GCM -> "GCM";
            default -> "AEAD " + aead;
        };
    }

    private static String algorithmName(int algorithm) {
        return switch (algorithm) {
            case SymmetricKeyAlgorithmTags.AES_256 -> "AES-256";
            case SymmetricKeyAlgorithmTags.AES_192 -> "AES-192";
            case SymmetricKeyAlgorithmTags.AES_128 -> "AES-128";
            case SymmetricKeyAlgorithmTags.TWOFISH -> "Twofish";
            case SymmetricKeyAlgorithmTags.CAMELLIA_256 -> "Camellia-256";
            case SymmetricKeyAlgorithmTags.CAMELLIA_192 -> "Camellia-192";
            case SymmetricKeyAlgorithmTags.CAMELLIA_128 -> "Camellia-128";
            case SymmetricKeyAlgorithmTags.TRIPLE_DES -> "3DES";
            case SymmetricKeyAlgorithmTags.CAST5 -> "CAST5";
            case SymmetricKeyAlgorithmTags.BLOWFISH -> "Blowfish";
            case SymmetricKeyAlgorithmTags.IDEA -> "IDEA";
            default -> "OpenPGP symmetric algorithm " + algorithm;
        };
    }
}
