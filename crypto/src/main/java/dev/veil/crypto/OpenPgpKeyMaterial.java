package dev.veil.crypto;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.bcpg.CompressionAlgorithmTags;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.Features;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.PBESecretKeyEncryptor;
import org.bouncycastle.openpgp.operator.PGPDigestCalculator;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentVerifierBuilderProvider;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPKeyPair;
import org.bouncycastle.openpgp.operator.jcajce.JcePBESecretKeyEncryptorBuilder;

/**
 * OpenPGP key generation and conversion with Bouncy Castle's classic API, in the form GnuPG 2.2 reads: v4 keys,
 * legacy EdDSA (algorithm 22) with a Curve25519 ECDH subkey (18) or RSA, SEIPD v1 (MDC) advertised and nothing
 * newer, and passphrase protection with S2K usage 254 (never the AEAD S2K 253 that gpg 2.2 rejects). Veil issues
 * only such keys; {@link #encryptionKey} also takes the v6 keys (RFC 9580) that recipients' own software makes.
 */
final class OpenPgpKeyMaterial {
    /** S2K iteration count byte 0xE0: 16 MiB hashed per key, some tens of milliseconds. */
    static final int S2K_COUNT = 0xE0;

    private static final SecureRandom RANDOM = new SecureRandom();

    private OpenPgpKeyMaterial() {
    }

    /** The algorithm of new keys, from {@code keys.openpgpAlgorithm}. */
    enum Algorithm {
        ED25519, RSA_2048, RSA_3072, RSA_4096;

        static Algorithm parse(String name) throws KeyException {
            if (name == null || name.isBlank()) {
                return ED25519;
            }
            return switch (name.strip().toLowerCase(Locale.ROOT)) {
                case "ed25519" -> ED25519;
                case "rsa-2048" -> RSA_2048;
                case "rsa-3072" -> RSA_3072;
                case "rsa-4096" -> RSA_4096;
                default -> throw new KeyException("keys.openpgpAlgorithm '" + name
                        + "' is not supported — use ed25519, rsa-3072 or rsa-4096");
            };
        }

        int rsaBits() {
            return switch (this) {
                case RSA_2048 -> 2048;
                case RSA_3072 -> 3072;
                case RSA_4096 -> 4096;
                case ED25519 -> 0;
            };
        }
    }

    /**
     * A new unprotected v4 key: a primary key for certification and signing, one encryption subkey, one user id,
     * no expiry (rotation replaces keys).
     */
    static PGPSecretKeyRing generate(Algorithm algorithm, String userId) throws KeyException {
        try {
            // OpenPGP times have one-second resolution; both keys get the same creation time.
            Date now = new Date(System.currentTimeMillis() / 1000 * 1000);
            PGPKeyPair primary;
            PGPKeyPair encryption;
            if (algorithm == Algorithm.ED25519) {
                primary = new JcaPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.EDDSA_LEGACY,
                        generator("Ed25519", 0).generateKeyPair(), now);
                encryption = new JcaPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.ECDH,
                        generator("X25519", 0).generateKeyPair(), now);
            } else {
                KeyPairGenerator rsa = generator("RSA", algorithm.rsaBits());
                primary = new JcaPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.RSA_GENERAL, rsa.generateKeyPair(), now);
                encryption = new JcaPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.RSA_GENERAL, rsa.generateKeyPair(), now);
            }

            PGPSignatureSubpacketGenerator primaryPackets = new PGPSignatureSubpacketGenerator();
            primaryPackets.setKeyFlags(true, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
            primaryPackets.setPreferredSymmetricAlgorithms(false, new int[] {
                    SymmetricKeyAlgorithmTags.AES_256, SymmetricKeyAlgorithmTags.AES_192, SymmetricKeyAlgorithmTags.AES_128});
            primaryPackets.setPreferredHashAlgorithms(false, new int[] {
                    HashAlgorithmTags.SHA512, HashAlgorithmTags.SHA384, HashAlgorithmTags.SHA256});
            primaryPackets.setPreferredCompressionAlgorithms(false, new int[] {
                    CompressionAlgorithmTags.UNCOMPRESSED, CompressionAlgorithmTags.ZLIB, CompressionAlgorithmTags.ZIP});
            // SEIPD v1 only: advertising v2 (RFC 9580) would invite senders to write what gpg 2.2 cannot read.
            primaryPackets.setFeature(false, Features.FEATURE_MODIFICATION_DETECTION);
            primaryPackets.setPrimaryUserID(false, true);
            primaryPackets.setIssuerFingerprint(false, primary.getPublicKey());

            PGPSignatureSubpacketGenerator subkeyPackets = new PGPSignatureSubpacketGenerator();
            subkeyPackets.setKeyFlags(true, KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE);
            subkeyPackets.setIssuerFingerprint(false, primary.getPublicKey());

            PGPKeyRingGenerator generator = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, primary, userId,
                    sha1(), primaryPackets.generate(), null,
                    new JcaPGPContentSignerBuilder(primary.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA512)
                            .setProvider(Providers.BC).setSecureRandom(RANDOM),
                    null);
            generator.addSubKey(encryption, subkeyPackets.generate(), null);
            return generator.generateSecretKeyRing();
        } catch (PGPException | GeneralSecurityException e) {
            throw new KeyException("cannot generate an OpenPGP " + algorithm + " key: " + e.getMessage(), e);
        }
    }

    /**
     * The public ring with a key revocation signature on its primary key, made with the (unprotected) secret
     * ring: what {@code gpg --import} takes to mark the key revoked, and what the admin publishes.
     */
    static PGPPublicKeyRing revoked(PGPSecretKeyRing ring) throws KeyException {
        try {
            org.bouncycastle.openpgp.PGPSecretKey secret = ring.getSecretKey();
            org.bouncycastle.openpgp.PGPPrivateKey privateKey = secret.extractPrivateKey(
                    new org.bouncycastle.openpgp.operator.jcajce.JcePBESecretKeyDecryptorBuilder()
                            .setProvider(Providers.BC).build(new char[0]));
            PGPPublicKey primary = secret.getPublicKey();
            org.bouncycastle.openpgp.PGPSignatureGenerator generator = new org.bouncycastle.openpgp.PGPSignatureGenerator(
                    new JcaPGPContentSignerBuilder(primary.getAlgorithm(), HashAlgorithmTags.SHA512)
                            .setProvider(Providers.BC).setSecureRandom(RANDOM), primary);
            generator.init(PGPSignature.KEY_REVOCATION, privateKey);
            PGPSignatureSubpacketGenerator packets = new PGPSignatureSubpacketGenerator();
            packets.setSignatureCreationTime(true, new Date());
            packets.setIssuerFingerprint(false, primary);
            packets.setRevocationReason(false, org.bouncycastle.bcpg.sig.RevocationReasonTags.NO_REASON, "revoked by the Veil admin");
            generator.setHashedSubpackets(packets.generate());
            PGPSignature revocation = generator.generateCertification(primary);
            PGPPublicKeyRing publicRing = publicRing(ring);
            return PGPPublicKeyRing.insertPublicKey(publicRing, PGPPublicKey.addCertification(primary, revocation));
        } catch (PGPException e) {
            throw new KeyException("cannot make the revocation certificate: " + e.getMessage(), e);
        }
    }

    /**
     * A copy of an unprotected ring with every secret key protected by {@code passphrase}: S2K usage 254 (SHA-1
     * check), AES-256, iterated and salted SHA-256. GnuPG 2.2 imports this.
     */
    static PGPSecretKeyRing protect(PGPSecretKeyRing ring, char[] passphrase) throws KeyException {
        char[] copy = passphrase.clone();
        try {
            PGPDigestCalculator sha256 = new JcaPGPDigestCalculatorProviderBuilder().setProvider(Providers.BC).build()
                    .get(HashAlgorithmTags.SHA256);
            PBESecretKeyEncryptor encryptor = new JcePBESecretKeyEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256, sha256, S2K_COUNT)
                    .setProvider(Providers.BC).setSecureRandom(RANDOM).build(copy);
            List<PGPSecretKey> protectedKeys = new ArrayList<>();
            for (PGPSecretKey key : ring) {
                PGPPrivateKey privateKey = key.extractPrivateKey(null);
                protectedKeys.add(new PGPSecretKey(privateKey, key.getPublicKey(), sha1(), key.isMasterKey(), encryptor));
            }
            return new PGPSecretKeyRing(protectedKeys);
        } catch (PGPException e) {
            throw new KeyException("cannot protect the OpenPGP key with the passphrase: " + e.getMessage(), e);
        } finally {
            Arrays.fill(copy, '\0');
        }
    }

    static PGPSecretKeyRing parseSecret(byte[] encoded) throws IOException {
        try {
            return new PGPSecretKeyRing(new ByteArrayInputStream(encoded), new BcKeyFingerprintCalculator());
        } catch (PGPException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The public keys (with their signatures and user ids) of a secret ring. */
    static PGPPublicKeyRing publicRing(PGPSecretKeyRing ring) {
        List<PGPPublicKey> keys = new ArrayList<>();
        ring.getPublicKeys().forEachRemaining(keys::add);
        return new PGPPublicKeyRing(keys);
    }

    /** The key's fingerprint, lower-case hex: 40 digits for a v4 key, 64 for a v6 key (SHA-256, RFC 9580). */
    static String fingerprint(PGPPublicKey key) {
        return HexFormat.of().formatHex(key.getFingerprint());
    }

    /** The primary key's first user id, or the empty string. */
    static String userId(PGPPublicKeyRing ring) {
        Iterator<String> ids = ring.getPublicKey().getUserIDs();
        return ids.hasNext() ? ids.next() : "";
    }

    /**
     * The key to encrypt to: the newest subkey (or else the primary key) that a verified self-signature marks
     * for encryption and that is neither revoked nor expired. Version 4 and 6 keys (RFC 9580) are accepted; a v6
     * key must carry a valid direct-key self-signature (RFC 9580 section 5.2.3.10), whose key expiration time counts.
     *
     * @throws KeyException if the ring has no usable encryption key
     */
    static PGPPublicKey encryptionKey(PGPPublicKeyRing ring, String owner) throws KeyException {
        PGPPublicKey primary = ring.getPublicKey();
        int version = primary.getVersion();
        if (version != PublicKeyPacket.VERSION_4 && version != PublicKeyPacket.VERSION_6) {
            throw new KeyException("the OpenPGP key for " + owner + " is a version " + version
                    + " key: only v4 and v6 keys are supported");
        }
        PGPSignature directKey = newestSelfSignature(primary, primary, PGPSignature.DIRECT_KEY);
        if (version == PublicKeyPacket.VERSION_6 && directKey == null) {
            throw new KeyException("the v6 OpenPGP key for " + owner + " (" + fingerprint(primary)
                    + ") has no valid direct-key self-signature, which RFC 9580 requires before a v6 key is used"
                    + " — ask its owner for the complete key");
        }
        if (primary.hasRevocation() || expired(primary) || expired(primary, directKey)) {
            throw new KeyException("the OpenPGP key for " + owner + " (" + fingerprint(primary) + ") is revoked or expired");
        }
        PGPPublicKey best = null;
        PGPPublicKey weak = null;
        Iterator<PGPPublicKey> keys = ring.getPublicKeys();
        while (keys.hasNext()) {
            PGPPublicKey key = keys.next();
            if (!key.isEncryptionKey() || key.hasRevocation() || expired(key)) {
                continue;
            }
            if (tooWeak(key)) {
                weak = key;
                continue;
            }
            boolean usable = key.isMasterKey() ? primaryMayEncrypt(primary, directKey) : boundForEncryption(primary, key);
            if (usable && (best == null || best.isMasterKey() || key.getCreationTime().after(best.getCreationTime()))) {
                best = key;
            }
        }
        if (best == null && weak != null) {
            throw new KeyException("the OpenPGP key for " + owner + " (" + fingerprint(primary) + ") encrypts only with "
                    + algorithm(weak) + ": at least " + MIN_FACTORING_BITS + " bits are needed, as for S/MIME"
                    + " certificates — ask its owner for a stronger key");
        }
        if (best == null) {
            throw new KeyException("the OpenPGP key for " + owner + " (" + fingerprint(primary)
                    + ") has no valid encryption subkey");
        }
        return best;
    }

    /** RSA and ElGamal keys below this size are refused for encryption, as S/MIME certificates' RSA keys are. */
    static final int MIN_FACTORING_BITS = 2048;

    /** An RSA or ElGamal encryption key of fewer than {@link #MIN_FACTORING_BITS} bits (RSA-1024 is within reach). */
    private static boolean tooWeak(PGPPublicKey key) {
        int algorithm = key.getAlgorithm();
        boolean factoring = algorithm == PublicKeyAlgorithmTags.RSA_GENERAL
                || algorithm == PublicKeyAlgorithmTags.RSA_ENCRYPT || algorithm == PublicKeyAlgorithmTags.ELGAMAL_ENCRYPT
                || algorithm == PublicKeyAlgorithmTags.ELGAMAL_GENERAL;
        return factoring && key.getBitStrength() < MIN_FACTORING_BITS;
    }

    /**
     * The newest of {@code key}'s signatures of this type that the primary key made and that verifies: a direct-key
     * signature ({@code key} is the primary key) or a subkey binding signature; null if there is none.
     */
    static PGPSignature newestSelfSignature(PGPPublicKey primary, PGPPublicKey key, int type) {
        PGPSignature newest = null;
        Iterator<PGPSignature> signatures = key.getSignaturesOfType(type);
        while (signatures.hasNext()) {
            PGPSignature signature = signatures.next();
            if (newest != null && !signature.getCreationTime().after(newest.getCreationTime())) {
                continue;
            }
            try {
                signature.init(new JcaPGPContentVerifierBuilderProvider().setProvider(Providers.BC), primary);
                boolean valid = key == primary ? signature.verifyCertification(primary)
                        : signature.verifyCertification(primary, key);
                if (valid) {
                    newest = signature;
                }
            } catch (PGPException | RuntimeException e) {
                // a signature that does not verify does not count
            }
        }
        return newest;
    }

    /**
     * How long a primary key is valid after its creation, in seconds; 0 if it does not expire. A v6 key's expiry is
     * on its newest valid direct-key signature; a v4 key's on its user id self-signatures (as Bouncy Castle reads them).
     */
    static long validSeconds(PGPPublicKey primary) {
        if (primary.getVersion() == PublicKeyPacket.VERSION_6) {
            PGPSignature directKey = newestSelfSignature(primary, primary, PGPSignature.DIRECT_KEY);
            return directKey == null || directKey.getHashedSubPackets() == null ? 0
                    : directKey.getHashedSubPackets().getKeyExpirationTime();
        }
        return primary.getValidSeconds();
    }

    private static boolean expired(PGPPublicKey key) {
        long valid = key.getValidSeconds();
        return valid > 0 && key.getCreationTime().getTime() + valid * 1000 < System.currentTimeMillis();
    }

    /**
     * Whether {@code selfSignature}'s key expiration time has passed. Bouncy Castle's {@code getValidSeconds()} reads
     * user id self-signatures only, so it misses the expiry of a v6 key, which sits on its direct-key signature.
     */
    private static boolean expired(PGPPublicKey key, PGPSignature selfSignature) {
        if (selfSignature == null || selfSignature.getHashedSubPackets() == null) {
            return false;
        }
        long valid = selfSignature.getHashedSubPackets().getKeyExpirationTime();
        return valid > 0 && key.getCreationTime().getTime() + valid * 1000 < System.currentTimeMillis();
    }

    private static boolean primaryMayEncrypt(PGPPublicKey primary, PGPSignature directKey) {
        if (primary.getVersion() == PublicKeyPacket.VERSION_6) {
            // a v6 key's own flags are on its direct-key signature
            return directKey.getHashedSubPackets() != null
                    && (directKey.getHashedSubPackets().getKeyFlags() & (KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE)) != 0;
        }
        Iterator<PGPSignature> signatures = primary.getSignatures();
        while (signatures.hasNext()) {
            PGPSignature signature = signatures.next();
            if (signature.getKeyID() == primary.getKeyID() && signature.getHashedSubPackets() != null
                    && signature.getHashedSubPackets().hasSubpacket(org.bouncycastle.bcpg.SignatureSubpacketTags.KEY_FLAGS)) {
                return (signature.getHashedSubPackets().getKeyFlags() & (KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE)) != 0;
            }
        }
        return false;
    }

    /** Whether the subkey's newest valid binding signature marks it for encryption and has not expired. */
    private static boolean boundForEncryption(PGPPublicKey primary, PGPPublicKey subkey) {
        PGPSignature binding = newestSelfSignature(primary, subkey, PGPSignature.SUBKEY_BINDING);
        if (binding == null || binding.getHashedSubPackets() == null) {
            return false;
        }
        return (binding.getHashedSubPackets().getKeyFlags() & (KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE)) != 0
                && !expired(subkey, binding);
    }

    private static PGPDigestCalculator sha1() throws PGPException {
        return new JcaPGPDigestCalculatorProviderBuilder().setProvider(Providers.BC).build().get(HashAlgorithmTags.SHA1);
    }

    private static KeyPairGenerator generator(String algorithm, int bits) throws GeneralSecurityException {
        if (algorithm.equals("RSA")) {
            // The JDK's RSA key generation; the key is provider-neutral either way.
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(bits, RANDOM);
            return generator;
        }
        return KeyPairGenerator.getInstance(algorithm, Providers.BC);
    }

    /** Whether a signature type is a user id certification (generic, persona, casual or positive; RFC 9580 5.2.1). */
    static boolean isCertification(int signatureType) {
        return signatureType == PGPSignature.DEFAULT_CERTIFICATION || signatureType == PGPSignature.NO_CERTIFICATION
                || signatureType == PGPSignature.CASUAL_CERTIFICATION || signatureType == PGPSignature.POSITIVE_CERTIFICATION;
    }

    /**
     * What {@code keys list} and {@code keys show} say of a key ring's algorithms: the primary key's, and the
     * encryption subkey's if encryption goes to one ("EdDSA primary, ECDH encryption subkey").
     */
    public static String algorithms(PGPPublicKeyRing ring, String address) {
        String algorithm = algorithm(ring.getPublicKey());
        try {
            PGPPublicKey key = encryptionKey(ring, address);
            if (!key.isMasterKey()) {
                algorithm += " primary, " + algorithm(key) + " encryption subkey";
            }
        } catch (KeyException unusable) {
            algorithm += " (no usable encryption key now)";
        }
        return algorithm;
    }

    /** One key's algorithm and, where it has one, its size in bits ("RSA 3072", "EdDSA"). */
    static String algorithm(PGPPublicKey key) {
        String name = switch (key.getAlgorithm()) {
            case PublicKeyAlgorithmTags.RSA_GENERAL, PublicKeyAlgorithmTags.RSA_ENCRYPT, PublicKeyAlgorithmTags.RSA_SIGN -> "RSA";
            case PublicKeyAlgorithmTags.ELGAMAL_ENCRYPT, PublicKeyAlgorithmTags.ELGAMAL_GENERAL -> "ElGamal";
            case PublicKeyAlgorithmTags.DSA -> "DSA";
            case PublicKeyAlgorithmTags.ECDH -> "ECDH";
            case PublicKeyAlgorithmTags.ECDSA -> "ECDSA";
            case PublicKeyAlgorithmTags.EDDSA_LEGACY -> "EdDSA";
            case PublicKeyAlgorithmTags.X25519 -> "X25519";
            case PublicKeyAlgorithmTags.X448 -> "X448";
            case PublicKeyAlgorithmTags.Ed25519 -> "Ed25519";
            case PublicKeyAlgorithmTags.Ed448 -> "Ed448";
            default -> "algorithm " + key.getAlgorithm();
        };
        int bits = key.getBitStrength();
        return bits > 0 ? name + " " + bits : name;
    }
}
