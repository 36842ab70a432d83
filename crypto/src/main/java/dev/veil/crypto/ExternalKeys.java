package dev.veil.crypto;

import dev.veil.crypto.ExternalKey.Format;
import dev.veil.crypto.ImportedKey.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentVerifierBuilderProvider;

/**
 * External recipients' public keys: S/MIME certificates and OpenPGP keys an admin imported for partners who have
 * their own keys, so mail to them is encrypted to a key they already hold instead of one Veil issues.
 *
 * <p>Layout, next to {@link VeilKeys} in the same key directory: {@code DIR/external/smime/<address>-<sha256>.pem}
 * (one PEM certificate) and {@code DIR/external/openpgp/<address>-<fingerprint>.asc} (one armored public key
 * ring; the primary key's fingerprint, 40 hex digits for a v4 key, 64 for an RFC 9580 v6 key); a key naming several addresses is stored once per address. Public data: no master key, files 0644,
 * published atomically (an import of the same key is a no-op; removal deletes the file). A certificate file is never
 * rewritten; an OpenPGP file is replaced, by an atomic rename, when an import brings a newer copy of its key (a
 * revocation, a later expiry, a new subkey: see {@link OpenPgpKeyMerge}) or its revocation certificate.
 * When a file is first read, its content must match its name (fingerprint and address), so a file renamed to
 * another address does not receive that address's mail.
 *
 * <p>Import checks what can be checked once (email address, validity, key usage, a usable encryption subkey);
 * {@link #smimeCertificate} and {@link #openPgpKey} check again, at the time of use, what expires.
 * No chain is verified: importing a certificate is the admin's trust decision.
 *
 * <p>Thread-safe; a CLI import (new file or replaced one) is seen by a running server at its next lookup.
 */
public final class ExternalKeys {
    private static final String EXTERNAL_DIR = "external";
    private static final long MAX_IMPORT_SIZE = 16L * 1024 * 1024;
    private static final String EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4";
    /** id-RSASSA-PSS (RFC 4055), as a public key algorithm: a key restricted to PSS signatures. */
    private static final String RSASSA_PSS = "1.2.840.113549.1.1.10";
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
    private static final int KEY_ENCIPHERMENT = 2;
    private static final int KEY_AGREEMENT = 4;
    private static final int MIN_RSA_BITS = 2048;
    private static final int MIN_EC_BITS = 256;

    private final Path dir;
    /** Parsed files by path, each valid while the file is the same one (a replaced file is a new inode). */
    private final ConcurrentHashMap<Path, Stored> cache = new ConcurrentHashMap<>();

    private ExternalKeys(Path dir) {
        this.dir = dir;
    }

    /** Opens the external keys under {@code keyDir} (the directory {@link VeilKeys#open} takes), creating it if needed. */
    public static ExternalKeys open(Path keyDir) throws KeyException {
        Path dir = keyDir.resolve(EXTERNAL_DIR);
        try {
            AtomicFiles.createDirectories(keyDir, AtomicFiles.OWNER_ONLY_DIR);
            AtomicFiles.createDirectories(dir, AtomicFiles.OWNER_ONLY_DIR);
            for (Format format : Format.values()) {
                AtomicFiles.createDirectories(dir.resolve(format.label), AtomicFiles.OWNER_ONLY_DIR);
            }
        } catch (IOException e) {
            throw new KeyException("cannot create key directory " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        return new ExternalKeys(dir);
    }

    /**
     * Imports every public key in {@code file} (format detected from the content), one result per key found: imported,
     * already present, or refused with the reason.
     *
     * @throws KeyException if the file cannot be read, holds a private key, or holds nothing importable
     */
    public List<ImportedKey> importFile(Path file) throws KeyException {
        byte[] content;
        try {
            if (Files.size(file) > MAX_IMPORT_SIZE) {
                throw new KeyException(file + " is larger than " + MAX_IMPORT_SIZE / 1024 / 1024 + " MiB: not a key file");
            }
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new KeyException("no such file: " + file);
        } catch (IOException e) {
            throw new KeyException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return importBytes(content, file.toString());
    }

    /** {@link #importFile} for content in memory; {@code source} names it in messages. */
    public List<ImportedKey> importBytes(byte[] content, String source) throws KeyException {
        ExternalKeyFiles.Contents contents = ExternalKeyFiles.read(content, source);
        Instant now = Instant.now();
        List<ImportedKey> results = new ArrayList<>();
        for (X509Certificate certificate : contents.certificates()) {
            results.add(importCertificate(certificate, now));
        }
        for (PGPPublicKeyRing ring : contents.rings()) {
            results.add(importRing(ring));
        }
        for (PGPSignature revocation : contents.revocations()) {
            results.add(importRevocation(revocation));
        }
        return results;
    }

    /**
     * Imports OpenPGP keys fetched for {@code address} from a key directory: only rings that carry that address
     * (in a self-certified user id) are stored; anything else the directory served is refused.
     */
    public List<ImportedKey> importFromDirectory(String address, byte[] content, String source) throws KeyException {
        String normalised = Addresses.normalise(address);
        ExternalKeyFiles.Contents contents = ExternalKeyFiles.read(content, source);
        List<ImportedKey> results = new ArrayList<>();
        for (PGPPublicKeyRing ring : contents.rings()) {
            if (ringAddresses(ring).contains(normalised)) {
                results.add(importRing(ring));
            } else {
                PGPPublicKey primary = ring.getPublicKey();
                results.add(new ImportedKey(Status.REFUSED, Format.OPENPGP, OpenPgpKeyMaterial.fingerprint(primary),
                        ringAddresses(ring), OpenPgpKeyMaterial.userId(ring), pgpNotAfter(primary),
                        source + " served a key that does not carry " + normalised));
            }
        }
        return results;
    }

    /** Every stored key of this format for the address (usable or not), newest first. */
    public List<ExternalKey> find(String address, Format format) throws KeyException {
        String normalised = Addresses.normalise(address);
        List<Stored> stored = stored(format, normalised);
        stored.sort(Comparator.comparing(Stored::notBefore).reversed());
        return group(stored);
    }

    /**
     * The certificate to encrypt to for this address: of those imported, the valid one that expires last.
     *
     * @return empty if none was imported for the address
     * @throws KeyMissingException if certificates were imported but none is valid now (fail closed: do not fall
     *                             back to another key for someone whose own key the admin chose)
     */
    public Optional<X509Certificate> smimeCertificate(String address) throws KeyException {
        String normalised = Addresses.normalise(address);
        List<Stored> stored = stored(Format.SMIME, normalised);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        Instant now = Instant.now();
        // RSASSA-PSS keys are refused at import, but an earlier version stored them: never encrypt to one
        Optional<X509Certificate> best = stored.stream().map(Stored::certificate)
                .filter(c -> !now.isBefore(c.getNotBefore().toInstant()) && !now.isAfter(c.getNotAfter().toInstant()))
                .filter(c -> !RSASSA_PSS.equals(publicKeyAlgorithm(c)))
                .max(Comparator.comparing(X509Certificate::getNotAfter));
        if (best.isEmpty() && stored.stream().anyMatch(s -> RSASSA_PSS.equals(publicKeyAlgorithm(s.certificate())))) {
            throw new KeyMissingException("the imported S/MIME certificate of " + normalised + " has an RSASSA-PSS key, only"
                    + " for signatures: it cannot receive encrypted mail — import one for encryption (veil keys import) or"
                    + " remove it (veil keys remove " + normalised + ")");
        }
        if (best.isEmpty()) {
            Instant latest = stored.stream().map(s -> s.certificate().getNotAfter().toInstant()).max(Comparator.naturalOrder()).get();
            throw new KeyMissingException("the imported S/MIME certificate of " + normalised + " is not valid now (expiry "
                    + latest + ") — import a current one (veil keys import) or remove it (veil keys remove " + normalised + ")");
        }
        return best;
    }

    /**
     * The OpenPGP key ring to encrypt to for this address: of those imported, the newest one with a usable encryption
     * (sub)key now.
     *
     * @return empty if none was imported for the address
     * @throws KeyMissingException if keys were imported but none can be encrypted to now (revoked or expired)
     */
    public Optional<PGPPublicKeyRing> openPgpKey(String address) throws KeyException {
        String normalised = Addresses.normalise(address);
        List<Stored> stored = stored(Format.OPENPGP, normalised);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        stored.sort(Comparator.comparing(Stored::notBefore).reversed());
        String reason = null;
        for (Stored candidate : stored) {
            try {
                OpenPgpKeyMaterial.encryptionKey(candidate.ring(), normalised);
                return Optional.of(candidate.ring());
            } catch (KeyException unusable) {
                reason = unusable.getMessage();
            }
        }
        throw new KeyMissingException("no imported OpenPGP key of " + normalised + " can be encrypted to now (" + reason
                + ") — import a current one (veil keys import) or remove it (veil keys remove " + normalised + ")");
    }

    /**
     * Why each stored key file that cannot be read is unusable (damaged, renamed), one line per file: for the health
     * check, so that a broken file shows before mail to its recipient waits for it. Files read before and unchanged
     * since are not read again.
     */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        for (Format format : Format.values()) {
            try {
                for (Path file : files(format, null)) {
                    try {
                        load(format, file);
                    } catch (KeyException e) {
                        problems.add(e.getMessage());
                    }
                }
            } catch (KeyException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    /** Every stored key, one entry per key (with all its addresses): S/MIME first, then by address. */
    public List<ExternalKey> list() throws KeyException {
        List<Stored> all = new ArrayList<>();
        for (Format format : Format.values()) {
            all.addAll(stored(format, null));
        }
        all.sort(Comparator.comparing((Stored s) -> s.format().ordinal()).thenComparing(Stored::address)
                .thenComparing(Stored::fingerprint));
        return group(all);
    }

    /**
     * One row per address and key, for {@code veil keys list}: kind {@code external-smime}, {@code external-openpgp}
     * (a v4 key) or {@code external-openpgp-v6}.
     */
    public List<VeilKeys.KeyInfo> keyInfos() throws KeyException {
        List<VeilKeys.KeyInfo> infos = new ArrayList<>();
        for (ExternalKey key : list()) {
            for (String address : key.addresses()) {
                infos.add(new VeilKeys.KeyInfo(kind(key), address, key.fingerprint(), key.notAfter()));
            }
        }
        return infos;
    }

    /**
     * The keys stored for an address (anything with an {@code @}) or with a fingerprint (full, or a unique prefix of at
     * least 8 hex digits; spaces and colons are ignored).
     *
     * @throws KeyMissingException if there is none
     */
    public List<ExternalKey> show(String addressOrFingerprint) throws KeyException {
        List<Stored> matches = match(addressOrFingerprint);
        // Show every address of the keys found, not only the one asked for.
        List<Stored> all = new ArrayList<>();
        for (Format format : Format.values()) {
            for (Stored s : stored(format, null)) {
                if (matches.stream().anyMatch(m -> m.format() == s.format() && m.fingerprint().equals(s.fingerprint()))) {
                    all.add(s);
                }
            }
        }
        all.sort(Comparator.comparing((Stored s) -> s.format().ordinal()).thenComparing(Stored::address));
        return group(all);
    }

    /**
     * Removes the keys of an address (for that address only) or a key by fingerprint (for all its addresses).
     *
     * @return what was removed: each key with the addresses it was removed for
     * @throws KeyMissingException if nothing matches
     */
    public List<ExternalKey> remove(String addressOrFingerprint) throws KeyException {
        List<Stored> matches = match(addressOrFingerprint);
        for (Stored s : matches) {
            try {
                Files.deleteIfExists(s.file());
            } catch (IOException e) {
                throw new KeyException("cannot remove " + s.file().toAbsolutePath() + ": " + e.getMessage(), e);
            } finally {
                cache.remove(s.file());
            }
        }
        return group(matches);
    }

    private static String kind(ExternalKey key) {
        return "external-" + key.format().label + (key.version() != null && key.version() != 4 ? "-v" + key.version() : "");
    }

    @Override
    public String toString() {
        return "ExternalKeys[" + dir.toAbsolutePath() + "]";
    }

    // ---- import -------------------------------------------------------------------------------------------------

    private ImportedKey importCertificate(X509Certificate certificate, Instant now) throws KeyException {
        String fingerprint = Fingerprints.sha256(certificate);
        List<String> addresses = certificateAddresses(certificate);
        String subject = DistinguishedNames.readable(certificate.getSubjectX500Principal());
        Instant notAfter = certificate.getNotAfter().toInstant();
        String refusal = certificateRefusal(certificate, addresses, now);
        if (refusal != null) {
            return new ImportedKey(Status.REFUSED, Format.SMIME, fingerprint, addresses, subject, notAfter, refusal);
        }
        byte[] pem;
        try {
            pem = Pem.encode("CERTIFICATE", certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            return new ImportedKey(Status.REFUSED, Format.SMIME, fingerprint, addresses, subject, notAfter,
                    "the certificate cannot be encoded: " + e.getMessage());
        }
        return publish(Format.SMIME, fingerprint, addresses, subject, notAfter, pem);
    }

    private ImportedKey importRing(PGPPublicKeyRing ring) throws KeyException {
        PGPPublicKey primary = ring.getPublicKey();
        String fingerprint = OpenPgpKeyMaterial.fingerprint(primary);
        String subject = OpenPgpKeyMaterial.userId(ring);
        Instant notAfter = pgpNotAfter(primary);
        if (primary.getVersion() != PublicKeyPacket.VERSION_4 && primary.getVersion() != PublicKeyPacket.VERSION_6) {
            return new ImportedKey(Status.REFUSED, Format.OPENPGP, fingerprint, List.of(), subject, notAfter,
                    "OpenPGP version " + primary.getVersion() + " keys are not supported: only v4 and v6 (RFC 9580) keys are");
        }
        List<Stored> copies = storedCopies(fingerprint);
        if (!copies.isEmpty()) {
            // A newer copy of a stored key is merged even if it is revoked or expired now: that is the news.
            PGPPublicKeyRing merged = copies.get(0).ring();
            for (Stored copy : copies) {
                merged = OpenPgpKeyMerge.merge(merged, copy.ring());
            }
            return update(copies, OpenPgpKeyMerge.merge(merged, ring));
        }
        List<String> addresses = ringAddresses(ring);
        if (addresses.isEmpty()) {
            return new ImportedKey(Status.REFUSED, Format.OPENPGP, fingerprint, addresses, subject, notAfter,
                    "the key has no user id with an email address (\"Name <local@domain>\") certified by the key itself");
        }
        try {
            OpenPgpKeyMaterial.encryptionKey(ring, addresses.get(0));
        } catch (KeyException unusable) {
            return new ImportedKey(Status.REFUSED, Format.OPENPGP, fingerprint, addresses, subject, notAfter,
                    "no usable encryption key: " + unusable.getMessage());
        }
        return publish(Format.OPENPGP, fingerprint, addresses, subject, notAfter, armored(ring));
    }

    /** Applies a bare key revocation certificate to the stored key that made it. */
    private ImportedKey importRevocation(PGPSignature revocation) throws KeyException {
        String issuer = String.format("%016x", revocation.getKeyID());
        for (Stored candidate : stored(Format.OPENPGP, null)) {
            if (candidate.ring().getPublicKey().getKeyID() == revocation.getKeyID()) {
                PGPPublicKeyRing revoked = OpenPgpKeyMerge.applyRevocation(candidate.ring(), revocation);
                if (revoked != null) {
                    return update(storedCopies(candidate.fingerprint()), revoked);
                }
            }
        }
        return new ImportedKey(Status.REFUSED, Format.OPENPGP, issuer, List.of(), "revocation certificate", null,
                "a revocation certificate for key " + issuer + ", which is not stored (or did not make it):"
                        + " nothing to revoke");
    }

    /**
     * Replaces every stored copy of a key with {@code merged} (a no-op if it brings nothing new). Each file is
     * replaced by rename, so it always holds the old or the new ring; a copy for an address whose user id the
     * merge revoked is deleted after the others are written.
     */
    private ImportedKey update(List<Stored> copies, PGPPublicKeyRing merged) throws KeyException {
        PGPPublicKey primary = merged.getPublicKey();
        String fingerprint = OpenPgpKeyMaterial.fingerprint(primary);
        String subject = OpenPgpKeyMaterial.userId(merged);
        Instant notAfter = pgpNotAfter(primary);
        List<String> addresses = ringAddresses(merged);
        byte[] armored = armored(merged);
        boolean unchanged = copies.stream().map(Stored::address).toList().containsAll(addresses);
        for (Stored copy : copies) {
            unchanged &= Arrays.equals(armored, armored(copy.ring()));
        }
        if (unchanged) {
            return new ImportedKey(Status.ALREADY_PRESENT, Format.OPENPGP, fingerprint, addresses, subject, notAfter, null);
        }
        if (addresses.isEmpty()) {
            return new ImportedKey(Status.REFUSED, Format.OPENPGP, fingerprint, addresses, subject, notAfter,
                    "the update revokes every user id with an email address: remove the key instead (veil keys remove "
                            + fingerprint + ")");
        }
        boolean wasRevoked = copies.stream().anyMatch(c -> OpenPgpKeyMerge.revoked(c.ring()));
        for (String address : addresses) {
            Path file = file(Format.OPENPGP, address, fingerprint);
            try {
                AtomicFiles.replace(file, armored, AtomicFiles.PUBLIC_READ);
            } catch (IOException e) {
                throw new KeyException("cannot write " + file.toAbsolutePath() + ": " + e.getMessage(), e);
            } finally {
                cache.remove(file);
            }
        }
        for (Stored copy : copies) {
            if (!addresses.contains(copy.address())) {
                try {
                    Files.deleteIfExists(copy.file());
                } catch (IOException e) {
                    throw new KeyException("cannot remove " + copy.file().toAbsolutePath() + ": " + e.getMessage(), e);
                } finally {
                    cache.remove(copy.file());
                }
            }
        }
        Status status = OpenPgpKeyMerge.revoked(merged) && !wasRevoked ? Status.REVOKED : Status.UPDATED;
        return new ImportedKey(status, Format.OPENPGP, fingerprint, addresses, subject, notAfter, null);
    }

    /** The stored files of one OpenPGP key, for every address. */
    private List<Stored> storedCopies(String fingerprint) throws KeyException {
        return stored(Format.OPENPGP, null).stream().filter(s -> s.fingerprint().equals(fingerprint)).toList();
    }

    private static byte[] armored(PGPPublicKeyRing ring) throws KeyException {
        PGPPublicKey primary = ring.getPublicKey();
        try {
            // RFC 9580 section 6.1: no CRC-24 line in the armor of a v6 key
            return ArmorOutputStream.armor(ring.getEncoded(), "PGP PUBLIC KEY BLOCK",
                    primary.getVersion() == PublicKeyPacket.VERSION_4).getBytes(StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new KeyException("cannot encode the OpenPGP key " + OpenPgpKeyMaterial.fingerprint(primary) + ": "
                    + e.getMessage(), e);
        }
    }

    private ImportedKey publish(Format format, String fingerprint, List<String> addresses, String subject, Instant notAfter,
                                byte[] content) throws KeyException {
        boolean created = false;
        for (String address : addresses) {
            Path file = file(format, address, fingerprint);
            try {
                created |= AtomicFiles.createIfAbsent(file, content, AtomicFiles.PUBLIC_READ);
            } catch (IOException e) {
                throw new KeyException("cannot write " + file.toAbsolutePath() + ": " + e.getMessage(), e);
            }
        }
        return new ImportedKey(created ? Status.IMPORTED : Status.ALREADY_PRESENT, format, fingerprint, addresses, subject,
                notAfter, null);
    }

    /** Why a certificate cannot receive mail, or null if it can. */
    static String certificateRefusal(X509Certificate certificate, List<String> addresses, Instant now) {
        if (addresses.isEmpty()) {
            boolean ca = certificate.getBasicConstraints() >= 0;
            return "the certificate has no email address (no subjectAltName rfc822Name, no emailAddress in the subject)"
                    + (ca ? " — it is a CA certificate, probably part of the issuer chain" : "");
        }
        if (now.isAfter(certificate.getNotAfter().toInstant())) {
            return "the certificate expired on " + certificate.getNotAfter().toInstant();
        }
        if (now.isBefore(certificate.getNotBefore().toInstant())) {
            return "the certificate is not valid before " + certificate.getNotBefore().toInstant();
        }
        boolean[] usage = certificate.getKeyUsage();
        if (usage != null && !bit(usage, KEY_ENCIPHERMENT) && !bit(usage, KEY_AGREEMENT)) {
            return "the certificate's key usage allows neither keyEncipherment nor keyAgreement: it is not for encryption";
        }
        try {
            List<String> extended = certificate.getExtendedKeyUsage();
            if (extended != null && !extended.contains(EMAIL_PROTECTION) && !extended.contains(ANY_EXTENDED_KEY_USAGE)) {
                return "the certificate's extended key usage does not include emailProtection: it is not for mail";
            }
        } catch (CertificateParsingException e) {
            return "the certificate's extended key usage cannot be parsed: " + e.getMessage();
        }
        if (certificate.getPublicKey() instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            if (bits < MIN_EC_BITS) {
                return "the certificate's EC key is on a " + bits + "-bit curve: at least " + MIN_EC_BITS + " bits (P-256) are needed";
            }
            if (usage != null && !bit(usage, KEY_AGREEMENT)) {
                return "the certificate's key usage does not allow keyAgreement, which an EC key needs to receive mail";
            }
            return null;
        }
        if (RSASSA_PSS.equals(publicKeyAlgorithm(certificate))) {
            // RFC 4055 1.2: the owner restricted the key to PSS signatures; openssl neither encrypts to it nor decrypts
            // with it, so mail encrypted to it could not be read (the JDK still hands it out as an RSAPublicKey)
            return "the certificate's key is RSASSA-PSS (id-RSASSA-PSS), a key only for signatures: it cannot receive"
                    + " encrypted mail";
        }
        if (!(certificate.getPublicKey() instanceof RSAPublicKey rsa)) {
            return "the certificate's key is " + certificate.getPublicKey().getAlgorithm()
                    + ": Veil encrypts S/MIME to RSA keys (RSA-OAEP key transport) and EC keys (ECDH key agreement) only";
        }
        if (usage != null && !bit(usage, KEY_ENCIPHERMENT)) {
            return "the certificate's key usage does not allow keyEncipherment, which an RSA key needs to receive mail";
        }
        if (rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            return "the certificate's RSA key has " + rsa.getModulus().bitLength() + " bits: at least " + MIN_RSA_BITS
                    + " are needed";
        }
        return null;
    }

    /** The OID of the certificate's subjectPublicKeyInfo algorithm, or null if it cannot be read. */
    private static String publicKeyAlgorithm(X509Certificate certificate) {
        try {
            return SubjectPublicKeyInfo.getInstance(certificate.getPublicKey().getEncoded()).getAlgorithm().getAlgorithm().getId();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static boolean bit(boolean[] bits, int index) {
        return bits.length > index && bits[index];
    }

    /** SAN rfc822Names, else emailAddress attributes of the subject; normalised, sorted, deduplicated. */
    static List<String> certificateAddresses(X509Certificate certificate) {
        TreeSet<String> addresses = new TreeSet<>();
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    if (Integer.valueOf(1).equals(name.get(0)) && name.get(1) instanceof String value) {
                        addIfAddress(addresses, value);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no usable SAN: fall back to the subject
        }
        if (addresses.isEmpty()) {
            X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
            for (RDN rdn : subject.getRDNs(BCStyle.EmailAddress)) {
                for (AttributeTypeAndValue value : rdn.getTypesAndValues()) {
                    if (BCStyle.EmailAddress.equals(value.getType())) {
                        ASN1Encodable encodable = value.getValue();
                        if (encodable instanceof ASN1String text) {
                            addIfAddress(addresses, text.getString());
                        }
                    }
                }
            }
        }
        return List.copyOf(addresses);
    }

    /** The addresses of user ids that the primary key certified and did not revoke; normalised, sorted. */
    static List<String> ringAddresses(PGPPublicKeyRing ring) {
        PGPPublicKey primary = ring.getPublicKey();
        TreeSet<String> addresses = new TreeSet<>();
        Iterator<String> ids = primary.getUserIDs();
        while (ids.hasNext()) {
            String id = ids.next();
            boolean certified = false;
            boolean revoked = false;
            Iterator<PGPSignature> signatures = primary.getSignaturesForID(id);
            while (signatures != null && signatures.hasNext()) {
                PGPSignature signature = signatures.next();
                int type = signature.getSignatureType();
                boolean certification = OpenPgpKeyMaterial.isCertification(type);
                boolean revocation = type == PGPSignature.CERTIFICATION_REVOCATION;
                if ((certification || revocation) && selfSigned(signature, primary, id)) {
                    certified |= certification;
                    revoked |= revocation;
                }
            }
            if (certified && !revoked) {
                addIfAddress(addresses, addressOfUserId(id));
            }
        }
        return List.copyOf(addresses);
    }

    private static boolean selfSigned(PGPSignature signature, PGPPublicKey primary, String id) {
        if (signature.getKeyID() != 0 && signature.getKeyID() != primary.getKeyID()) {
            return false;
        }
        try {
            signature.init(new JcaPGPContentVerifierBuilderProvider().setProvider(Providers.BC), primary);
            return signature.verifyCertification(id, primary);
        } catch (PGPException | RuntimeException e) {
            return false;
        }
    }

    /** {@code "Name <local@domain>"} or a bare {@code local@domain}; null otherwise. */
    static String addressOfUserId(String id) {
        int open = id.lastIndexOf('<');
        if (open >= 0) {
            int close = id.indexOf('>', open);
            return close > open ? id.substring(open + 1, close) : null;
        }
        String bare = id.strip();
        return bare.indexOf('@') > 0 && bare.chars().noneMatch(Character::isWhitespace) ? bare : null;
    }

    private static void addIfAddress(Collection<String> addresses, String candidate) {
        if (candidate == null) {
            return;
        }
        try {
            addresses.add(Addresses.normalise(candidate));
        } catch (KeyException notAnAddress) {
            // skipped: not a mailbox Veil can key by
        }
    }

    private static Instant pgpNotAfter(PGPPublicKey key) {
        long valid = OpenPgpKeyMaterial.validSeconds(key);
        return valid > 0 ? key.getCreationTime().toInstant().plusSeconds(valid) : null;
    }

    // ---- the store ----------------------------------------------------------------------------------------------

    /** One file of the store, parsed and checked against its name; {@code version} tells a replaced file apart. */
    private record Stored(Path file, Format format, String address, String fingerprint, X509Certificate certificate,
                          PGPPublicKeyRing ring, FileVersion version) {
        Instant notBefore() {
            return certificate != null ? certificate.getNotBefore().toInstant() : ring.getPublicKey().getCreationTime().toInstant();
        }
    }

    private List<Stored> match(String addressOrFingerprint) throws KeyException {
        if (addressOrFingerprint == null || addressOrFingerprint.isBlank()) {
            throw new KeyException("give an address or a fingerprint");
        }
        List<Stored> matches = new ArrayList<>();
        if (addressOrFingerprint.contains("@")) {
            String address = Addresses.normalise(addressOrFingerprint);
            for (Format format : Format.values()) {
                matches.addAll(stored(format, address));
            }
            if (matches.isEmpty()) {
                throw new KeyMissingException("no external key for " + address);
            }
            return matches;
        }
        String wanted = addressOrFingerprint.replaceAll("[\\s:]", "").toLowerCase(Locale.ROOT);
        if (wanted.startsWith("0x")) {
            wanted = wanted.substring(2);
        }
        if (wanted.length() < 8 || !wanted.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new KeyException("'" + addressOrFingerprint + "' is neither an address nor a fingerprint (at least 8 hex digits)");
        }
        TreeSet<String> fingerprints = new TreeSet<>();
        for (Format format : Format.values()) {
            for (Stored s : stored(format, null)) {
                if (s.fingerprint().startsWith(wanted)) {
                    matches.add(s);
                    fingerprints.add(s.fingerprint());
                }
            }
        }
        if (fingerprints.isEmpty()) {
            throw new KeyMissingException("no external key with fingerprint " + wanted);
        }
        if (fingerprints.size() > 1) {
            throw new KeyException("fingerprint " + wanted + " is ambiguous: it starts " + String.join(", ", fingerprints));
        }
        return matches;
    }

    /** The files of a format, for one address or (null) all, parsed and checked. */
    private List<Stored> stored(Format format, String address) throws KeyException {
        List<Stored> result = new ArrayList<>();
        for (Path file : files(format, address == null ? null : stem(address) + "-")) {
            Stored stored = load(format, file);
            if (stored != null && (address == null || stored.address().equals(address))) {
                result.add(stored);
            }
        }
        return result;
    }

    /** The key files of one format (those whose name starts with {@code prefix}, when given); none without a directory. */
    private List<Path> files(Format format, String prefix) throws KeyException {
        Path formatDir = dir.resolve(format.label);
        List<Path> result = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(formatDir, "*" + suffix(format))) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (!name.startsWith(".") && (prefix == null || name.startsWith(prefix))) {
                    result.add(file);
                }
            }
        } catch (NoSuchFileException e) {
            return result;
        } catch (IOException e) {
            throw new KeyException("cannot list " + formatDir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        return result;
    }

    /**
     * Which file is at a path: a replace renames a new file over the old one, so the file key (device and inode)
     * changes; the modification time and size guard against an inode number reused at once.
     */
    private record FileVersion(Object fileKey, FileTime modified, long size) {
        static FileVersion of(Path file) throws IOException {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileVersion(attributes.fileKey(), attributes.lastModifiedTime(), attributes.size());
        }
    }

    /** Parses and checks one file; null if its name is not one of ours (or it vanished). */
    private Stored load(Format format, Path file) throws KeyException {
        FileVersion version;
        try {
            version = FileVersion.of(file);
        } catch (NoSuchFileException removed) {
            return null;
        } catch (IOException e) {
            throw new KeyException("cannot read " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        Stored cached = cache.get(file);
        if (cached != null && cached.version().equals(version)) {
            return cached;
        }
        String name = file.getFileName().toString();
        String base = name.substring(0, name.length() - suffix(format).length());
        int dash = base.lastIndexOf('-');
        if (dash <= 0) {
            return null;
        }
        String fingerprintInName = base.substring(dash + 1);
        String address = Addresses.fromFileName(base.substring(0, dash) + ".pem");
        // S/MIME: SHA-256; OpenPGP: v4 (SHA-1) or v6 (SHA-256) fingerprint
        boolean lengthFits = format == Format.SMIME ? fingerprintInName.length() == 64
                : fingerprintInName.length() == 40 || fingerprintInName.length() == 64;
        if (address == null || !lengthFits
                || !fingerprintInName.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return null;
        }
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException removed) {
            return null;
        } catch (IOException e) {
            throw new KeyException("cannot read " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        Stored stored;
        try {
            if (format == Format.SMIME) {
                X509Certificate certificate = ExternalKeyFiles.readStoredCertificate(content);
                stored = new Stored(file, format, address, Fingerprints.sha256(certificate), certificate, null, version);
                checkName(stored, fingerprintInName, certificateAddresses(certificate));
            } else {
                PGPPublicKeyRing ring = ExternalKeyFiles.readStoredRing(content);
                stored = new Stored(file, format, address, OpenPgpKeyMaterial.fingerprint(ring.getPublicKey()), null, ring,
                        version);
                checkName(stored, fingerprintInName, ringAddresses(ring));
            }
        } catch (IOException | RuntimeException e) {
            throw new KeyException("external key file " + file.toAbsolutePath() + " is damaged (" + e.getMessage()
                    + ") — delete it and import the key again", e);
        }
        // The version was read before the content: if the file was replaced in between, the next lookup reads it again.
        cache.put(file, stored);
        return stored;
    }

    private static void checkName(Stored stored, String fingerprintInName, List<String> addresses) throws KeyException {
        if (!stored.fingerprint().equals(fingerprintInName) || !addresses.contains(stored.address())) {
            throw new KeyException("external key file " + stored.file().toAbsolutePath() + " does not hold a key "
                    + fingerprintInName + " for " + stored.address() + " — it was renamed or replaced; delete it and "
                    + "import the key again");
        }
    }

    /** Stored files grouped into keys (by format and fingerprint), in first-seen order. */
    private static List<ExternalKey> group(List<Stored> stored) {
        Map<String, List<Stored>> byKey = new LinkedHashMap<>();
        for (Stored s : stored) {
            byKey.computeIfAbsent(s.format().label + ":" + s.fingerprint(), k -> new ArrayList<>()).add(s);
        }
        List<ExternalKey> keys = new ArrayList<>();
        for (List<Stored> files : byKey.values()) {
            List<String> addresses = files.stream().map(Stored::address).distinct().sorted().toList();
            keys.add(describe(files.get(0), addresses));
        }
        return keys;
    }

    private static ExternalKey describe(Stored s, List<String> addresses) {
        if (s.format() == Format.SMIME) {
            X509Certificate c = s.certificate();
            String algorithm = c.getPublicKey() instanceof RSAPublicKey rsa ? "RSA " + rsa.getModulus().bitLength()
                    : c.getPublicKey() instanceof ECPublicKey ec ? "EC " + ec.getParams().getCurve().getField().getFieldSize() + "-bit"
                    : c.getPublicKey().getAlgorithm();
            return new ExternalKey(Format.SMIME, s.fingerprint(), addresses, DistinguishedNames.readable(c.getSubjectX500Principal()),
                    DistinguishedNames.readable(c.getIssuerX500Principal()), c.getNotBefore().toInstant(), c.getNotAfter().toInstant(),
                    algorithm, null, null);
        }
        PGPPublicKey primary = s.ring().getPublicKey();
        String encryption = null;
        try {
            encryption = OpenPgpKeyMaterial.fingerprint(OpenPgpKeyMaterial.encryptionKey(s.ring(), s.address()));
        } catch (KeyException unusable) {
            // described as such by algorithms()
        }
        String algorithm = OpenPgpKeyMaterial.algorithms(s.ring(), s.address());
        return new ExternalKey(Format.OPENPGP, s.fingerprint(), addresses, OpenPgpKeyMaterial.userId(s.ring()), null,
                primary.getCreationTime().toInstant(), pgpNotAfter(primary), algorithm, encryption, primary.getVersion());
    }


    private Path file(Format format, String address, String fingerprint) {
        return dir.resolve(format.label).resolve(stem(address) + "-" + fingerprint + suffix(format));
    }

    private static String stem(String normalisedAddress) {
        String pemName = Addresses.fileName(normalisedAddress);
        return pemName.substring(0, pemName.length() - ".pem".length());
    }

    private static String suffix(Format format) {
        return format == Format.SMIME ? ".pem" : ".asc";
    }
}
