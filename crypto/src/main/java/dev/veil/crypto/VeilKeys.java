package dev.veil.crypto;

import dev.veil.config.KeySettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.Period;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Veil's key store: organisation CA, escrow key, per-user S/MIME certificates. Private keys are
 * kept encrypted under the {@link MasterKey}; a wrong master key is detected on open.
 *
 * <p>Layout: {@code DIR/ca.pem}, {@code DIR/escrow.pem}, {@code DIR/users/<address>.pem}; each file holds a
 * certificate and its wrapped private key (see {@link KeyEntryFile}). Files are published atomically, so a
 * server and a CLI process can share the directory: whoever publishes an entry first wins and the other uses it.
 * Rotation and revocation move the current entry to {@code DIR/retired/} (see {@link RetiredKey}), where it
 * still decrypts; revocations are also listed in {@code DIR/ca.crl}, reissued before it goes stale (see
 * {@link #refreshRevocationList}), and {@code DIR/ca-cert.pem} holds the CA certificate alone. Certificates are cached in memory and
 * re-read when their file changes (another process rotated them); private keys are unwrapped only when used.
 *
 * <p>Thread-safe.
 */
public final class VeilKeys {
    private static final String CA_FILE = "ca.pem";
    private static final String ESCROW_FILE = "escrow.pem";
    private static final String USERS_DIR = "users";
    private static final String RETIRED_DIR = "retired";
    private static final String CRL_FILE = "ca.crl";
    /** The CA certificate alone, for {@code openssl crl -CAfile} and relying parties: ca.pem also holds the key. */
    private static final String CA_CERTIFICATE_FILE = "ca-cert.pem";
    private static final String CRL_LOCK_FILE = ".ca.crl.lock";
    /** nextUpdate - thisUpdate; the CRL is reissued once half of it has passed ({@link #refreshRevocationList}). */
    static final java.time.Duration CRL_VALIDITY = java.time.Duration.ofDays(30);
    /** Serialises CRL writers of this JVM: a file lock is held per process, not per thread. */
    private static final Object CRL_WRITERS = new Object();
    private static final String SUFFIX = ".pem";

    private final Path dir;
    private final MasterKey masterKey;
    private final Object initialiseLock = new Object();
    private volatile KeyEntry ca;
    private volatile Cached escrow;
    private final ConcurrentHashMap<String, Cached> users = new ConcurrentHashMap<>();
    private final UserKeyAudit<KeyEntry> userAudit;
    /** One lock per address being issued, so two threads don't generate two keys for the same user. */
    private final ConcurrentHashMap<String, Object> issueLocks = new ConcurrentHashMap<>();
    /** "address fingerprint" of the user keys whose issue note this process has checked: one write at most each. */
    private final Set<String> recorded = ConcurrentHashMap.newKeySet();

    private VeilKeys(Path dir, MasterKey masterKey) {
        this.dir = dir;
        this.masterKey = masterKey;
        this.userAudit = new UserKeyAudit<>(dir.resolve(USERS_DIR), "*.pem",
                file -> Addresses.fromFileName(file.getFileName().toString()));
    }

    /** A user's entry as the health check reads it: also the key Veil issued the user last ({@link EscrowRecord}). */
    private KeyEntry loadNotedUser(String address) throws KeyException {
        KeyEntry entry = loadUser(address);
        if (entry != null) {
            EscrowRecord.checkNoted(userFile(address), address, entry.fingerprint(), "smime", false);
        }
        return entry;
    }

    /** Opens (creating the directory if needed); fails if existing keys do not unwrap with this master key. */
    public static VeilKeys open(Path dir, MasterKey masterKey) throws KeyException {
        try {
            AtomicFiles.createDirectories(dir, AtomicFiles.OWNER_ONLY_DIR);
            AtomicFiles.createDirectories(dir.resolve(USERS_DIR), AtomicFiles.OWNER_ONLY_DIR);
        } catch (IOException e) {
            throw new KeyException("cannot create key directory " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        VeilKeys keys = new VeilKeys(dir, masterKey);
        KeyEntry ca = keys.loadCa();
        if (ca != null) {
            // Unwrapping the CA's key is the check that this is the master key the store was made with.
            keys.unwrap(ca);
        }
        return keys;
    }

    /** Creates the organisation CA and escrow key if they do not exist yet. Idempotent. */
    public void initialise(String organisation, KeySettings settings) throws KeyException {
        if (organisation == null || organisation.isBlank()) {
            throw new KeyException("an organisation name is needed to create the CA (it appears in every certificate)");
        }
        KeyAlgorithm algorithm = KeyAlgorithm.parse(settings.smimeAlgorithm());
        synchronized (initialiseLock) {
            KeyEntry currentCa = loadCa();
            if (currentCa == null) {
                KeyPair pair = algorithm.generate();
                String commonName = settings.caName() == null || settings.caName().isBlank()
                        ? organisation.strip() + " Veil CA" : settings.caName().strip();
                Period validity = settings.caValidity() == null ? KeySettings.DEFAULT_CA_VALIDITY : settings.caValidity();
                X509Certificate certificate = CertificateIssuer.selfSignedCa(organisation.strip(), commonName, validity, pair);
                publish(KeyEntry.create(KeyKind.CA.label, KeyKind.CA, certificate, pair.getPrivate(), masterKey), caFile());
                currentCa = loadCa();
                unwrap(currentCa); // another process may have won the race: make sure its CA is ours too
            }
            if (settings.escrow()) {
                KeyEntry escrowKey = loadEscrow();
                if (escrowKey == null) {
                    EscrowRecord.checkNoneWasMade(escrowFile());
                    KeyPair pair = algorithm.generate();
                    X509Certificate certificate = CertificateIssuer.escrow(organisation.strip(), pair.getPublic(),
                            currentCa.certificate(), unwrap(currentCa));
                    publish(KeyEntry.create(KeyKind.ESCROW.label, KeyKind.ESCROW, certificate, pair.getPrivate(),
                            masterKey), escrowFile());
                    escrowKey = loadEscrow();
                }
                if (escrowKey != null) {
                    EscrowRecord.write(escrowFile(), escrowKey.fingerprint()); // also for a key made before the note
                }
            }
            publishCaCertificate(currentCa.certificate());
        }
    }

    /** Writes {@code ca-cert.pem} unless it already holds this certificate. */
    private void publishCaCertificate(X509Certificate certificate) throws KeyException {
        Path file = dir.resolve(CA_CERTIFICATE_FILE);
        try {
            byte[] pem = Pem.encode("CERTIFICATE", certificate.getEncoded());
            if (!Files.exists(file) || !java.util.Arrays.equals(Files.readAllBytes(file), pem)) {
                AtomicFiles.replace(file, pem, AtomicFiles.PUBLIC_READ);
            }
        } catch (IOException | java.security.cert.CertificateEncodingException e) {
            throw new KeyException("cannot write " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reissues {@code ca.crl} (same entries, next CRL number) if half of its validity has passed, or it predates
     * the CRL number and authority key identifier: relying parties treat a CRL past its nextUpdate as unusable, and
     * it is otherwise only written when a key is revoked. The server calls this at start and daily.
     *
     * @return whether it was reissued (false also when nothing was ever revoked, or there is no CA)
     */
    public boolean refreshRevocationList() throws KeyException {
        return refreshRevocationList(Instant.now());
    }

    boolean refreshRevocationList(Instant now) throws KeyException {
        if (loadCa() == null) {
            return false;
        }
        return withCrlLock(() -> {
            org.bouncycastle.cert.X509CRLHolder current = currentCrl();
            if (current == null) {
                return false;
            }
            Instant thisUpdate = current.getThisUpdate().toInstant();
            Instant halfway = current.getNextUpdate() == null ? thisUpdate
                    : thisUpdate.plus(java.time.Duration.between(thisUpdate, current.getNextUpdate().toInstant()).dividedBy(2));
            boolean conforming = current.getExtension(org.bouncycastle.asn1.x509.Extension.cRLNumber) != null
                    && current.getExtension(org.bouncycastle.asn1.x509.Extension.authorityKeyIdentifier) != null;
            if (conforming && now.isBefore(halfway)) {
                return false;
            }
            writeCrlLocked(now, current);
            return true;
        });
    }

    /** Whether a certificate for this address exists (issued earlier, by this or another process). */
    public boolean hasUserCertificate(String address) {
        try {
            return Files.exists(userFile(Addresses.normalise(address)));
        } catch (KeyException notAnAddress) {
            return false;
        }
    }

    /** The user's certificate if one exists; never issues. */
    public Optional<X509Certificate> findUserCertificate(String address) throws KeyException {
        return Optional.ofNullable(loadUser(Addresses.normalise(address))).map(KeyEntry::certificate);
    }

    /**
     * The user's certificate, issued by the organisation CA now if there is none and
     * {@code settings.issueUserCertificates()} allows it.
     *
     * @throws KeyMissingException if there is none and issuing is off, or the store has no CA
     */
    public X509Certificate userCertificate(String address, KeySettings settings) throws KeyException {
        String normalised = Addresses.normalise(address);
        KeyEntry existing = loadUser(normalised);
        if (existing == null) {
            EscrowRecord.checkNoneWasIssued(userFile(normalised), normalised, "smime");
        } else if (!recorded.contains(normalised + " " + existing.fingerprint())) {
            EscrowRecord.checkNoted(userFile(normalised), normalised, existing.fingerprint(), "smime", true);
            recorded.add(normalised + " " + existing.fingerprint());
        }
        if (existing != null && !(settings.issueUserCertificates() && dueForRotation(existing.certificate(), settings.rotation(), Instant.now()))) {
            return existing.certificate();
        }
        if (existing != null) {
            rotateUser(normalised, settings);
            return loadUser(normalised).certificate();
        }
        if (!settings.issueUserCertificates()) {
            throw new KeyMissingException("no S/MIME certificate for " + normalised
                    + " and the policy's keys.smime.issue-user-certificates is false — import the user's certificate or turn issuing on");
        }
        return issueUser(normalised, KeyAlgorithm.parse(settings.smimeAlgorithm())).certificate();
    }

    /** The escrow certificate; {@link KeyMissingException} if the store has none. */
    public X509Certificate escrowCertificate() throws KeyException {
        KeyEntry entry = loadEscrow();
        if (entry == null) {
            throw new KeyMissingException(EscrowRecord.lost(escrowFile()).orElse("no escrow key in "
                    + dir.toAbsolutePath() + " — initialise the key store with keys.escrow: true"));
        }
        return entry.certificate();
    }

    /** Why the escrow key cannot be used: its file is gone while the note that one was made is there. */
    public java.util.Optional<String> escrowProblem() {
        return EscrowRecord.lost(escrowFile());
    }

    /** The organisation CA certificate (to distribute to clients as a trust anchor). */
    public X509Certificate caCertificate() throws KeyException {
        return requireCa().certificate();
    }

    /** Writes the user's certificate and private key as PKCS#12 (PBES2, AES-256-CBC, SHA-256 MAC). */
    public void exportUserPkcs12(String address, char[] password, Path out) throws KeyException {
        exportUserPkcs12(address, password, out, false);
    }

    /**
     * As above; with {@code withRetired}, the user's keys that rotation or revocation retired (kept as long as
     * {@code keep-old-keys} says) go into the same file after the current one, named "ADDRESS (retired DATE)": mail
     * already in Exchange was encrypted to them, and a user who reads with their own key (Outlook) needs them all.
     *
     * @return how many retired keys the file holds
     */
    public int exportUserPkcs12(String address, char[] password, Path out, boolean withRetired) throws KeyException {
        String normalised = Addresses.normalise(address);
        KeyEntry entry = loadUser(normalised);
        if (entry == null) {
            throw new KeyMissingException("no S/MIME key for " + normalised + " in " + dir.toAbsolutePath());
        }
        List<Pkcs12Writer.Pair> pairs = new ArrayList<>();
        pairs.add(new Pkcs12Writer.Pair(normalised, entry.certificate(), unwrap(entry)));
        if (withRetired) {
            String ownerEntryId = KeyEntry.idFor(KeyKind.USER, normalised);
            List<Retired> retired = new ArrayList<>(retiredEntries());
            java.util.Collections.reverse(retired); // newest first
            for (Retired r : retired) {
                if (!r.name().owner().equals(KeyKind.ESCROW.label) && r.entry().id().equals(ownerEntryId)) {
                    pairs.add(new Pkcs12Writer.Pair(normalised + " (" + (r.name().revoked() ? "revoked " : "retired ")
                            + r.name().retiredAt().toString().substring(0, 10) + ")", r.entry().certificate(),
                            unwrap(r.entry())));
                }
            }
        }
        byte[] pkcs12 = Pkcs12Writer.write(pairs, requireCa().certificate(), password);
        try {
            AtomicFiles.replace(out, pkcs12, AtomicFiles.OWNER_ONLY);
        } catch (IOException e) {
            throw new KeyException("cannot write " + out.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        return pairs.size() - 1;
    }

    /** Writes {@code escrow-key.pem} (PKCS#8, unencrypted: the caller chose to export) and {@code escrow-cert.pem}. */
    public void exportEscrow(Path dir) throws KeyException {
        exportEscrow(dir, null);
    }

    /**
     * Writes {@code escrow-key.pem} and {@code escrow-cert.pem}, and for each escrow key rotation retired (kept as
     * long as {@code keep-old-keys} says) {@code retired/escrow-<fingerprint prefix>-key.pem} and {@code -cert.pem}.
     * With a password the key is an encrypted PKCS#8 PEM
     * (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC) that {@code openssl pkey|cms -passin} reads; with {@code null} it is
     * unencrypted, which the caller must have been told to ask for explicitly. The password is not cleared.
     */
    public void exportEscrow(Path dir, char[] password) throws KeyException {
        KeyEntry entry = loadEscrow();
        if (entry == null) {
            throw new KeyMissingException("no escrow key in " + this.dir.toAbsolutePath() + " to export");
        }
        writeEscrowPair(entry, dir, "escrow", password);
        // older mail in Exchange is encrypted to the escrow keys rotation retired: without them it could only be
        // read through Veil, not with standard tools
        for (Retired retired : retiredEntries()) {
            if (retired.name().owner().equals(KeyKind.ESCROW.label)) {
                String fingerprint = retired.entry().fingerprint();
                writeEscrowPair(retired.entry(), dir.resolve(RETIRED_DIR),
                        "escrow-" + fingerprint.substring(0, Math.min(16, fingerprint.length())), password);
            }
        }
    }

    /** {@code NAME-key.pem} and {@code NAME-cert.pem} in {@code dir}. */
    private void writeEscrowPair(KeyEntry entry, Path dir, String name, char[] password) throws KeyException {
        PrivateKey key = unwrap(entry);
        byte[] keyPem = password == null ? unencryptedPem(key) : EncryptedPkcs8.pem(key, password);
        try {
            Files.createDirectories(dir);
            AtomicFiles.replace(dir.resolve(name + "-key.pem"), keyPem, AtomicFiles.OWNER_ONLY);
            AtomicFiles.replace(dir.resolve(name + "-cert.pem"),
                    Pem.encode("CERTIFICATE", entry.certificate().getEncoded()), AtomicFiles.PUBLIC_READ);
        } catch (IOException | GeneralSecurityException e) {
            throw new KeyException("cannot export the escrow key to " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(keyPem, (byte) 0);
        }
    }

    private static byte[] unencryptedPem(PrivateKey key) {
        byte[] pkcs8 = key.getEncoded();
        try {
            return Pem.encode("PRIVATE KEY", pkcs8);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    /**
     * Replaces the user's key by a new one; the old one moves to {@code retired/} and keeps decrypting. Old keys
     * beyond the policy's {@code keep-old-keys} are deleted. Issues a first key if the user has none.
     *
     * @return the new entry's certificate and the retired one's fingerprint (null when there was none)
     */
    public Rotation rotateUser(String address, KeySettings settings) throws KeyException {
        String normalised = Addresses.normalise(address);
        synchronized (issueLocks.computeIfAbsent(normalised, a -> new Object())) {
            KeyEntry old = loadUser(normalised);
            if (old == null) {
                return new Rotation(normalised, issueUser(normalised, KeyAlgorithm.parse(settings.smimeAlgorithm())), null);
            }
            retire(old, userFile(normalised), false);
            KeyEntry issuer = requireCa();
            KeyPair pair = KeyAlgorithm.parse(settings.smimeAlgorithm()).generate();
            X509Certificate certificate = CertificateIssuer.user(normalised, pair.getPublic(), issuer.certificate(), unwrap(issuer));
            KeyEntry fresh = KeyEntry.create(KeyEntry.idFor(KeyKind.USER, normalised), KeyKind.USER, certificate,
                    pair.getPrivate(), masterKey);
            replace(fresh, userFile(normalised));
            EscrowRecord.write(userFile(normalised), fresh.fingerprint());
            prune(settings);
            return new Rotation(normalised, fresh, old.fingerprint());
        }
    }

    /** Replaces the escrow key; the old one moves to {@code retired/} and keeps decrypting what it encrypted. */
    public Rotation rotateEscrow(KeySettings settings) throws KeyException {
        synchronized (initialiseLock) {
            KeyEntry old = loadEscrow();
            if (old == null) {
                throw new KeyMissingException("no escrow key in " + dir.toAbsolutePath() + " to rotate");
            }
            retire(old, escrowFile(), false);
            KeyEntry ca = requireCa();
            KeyPair pair = KeyAlgorithm.parse(settings.smimeAlgorithm()).generate();
            String organisation = organisationOf(ca.certificate());
            X509Certificate certificate = CertificateIssuer.escrow(organisation, pair.getPublic(), ca.certificate(), unwrap(ca));
            KeyEntry fresh = KeyEntry.create(KeyKind.ESCROW.label, KeyKind.ESCROW, certificate, pair.getPrivate(), masterKey);
            replace(fresh, escrowFile());
            EscrowRecord.write(escrowFile(), fresh.fingerprint());
            prune(settings);
            return new Rotation("escrow", fresh, old.fingerprint());
        }
    }

    /**
     * Revokes the user's key: it stops encrypting at once (the next message gets a new key, if issuing is on),
     * it is listed in the CA's revocation list {@code ca.crl}, and it stays in {@code retired/} so that mail it
     * already encrypted can still be read.
     *
     * @return the revoked key's fingerprint
     */
    public String revokeUser(String address) throws KeyException {
        String normalised = Addresses.normalise(address);
        synchronized (issueLocks.computeIfAbsent(normalised, a -> new Object())) {
            KeyEntry old = loadUser(normalised);
            if (old == null) {
                throw new KeyMissingException("no S/MIME key for " + normalised + " in " + dir.toAbsolutePath());
            }
            retire(old, userFile(normalised), true);
            try {
                Files.delete(userFile(normalised));
                Files.deleteIfExists(EscrowRecord.of(userFile(normalised))); // the next message gets a new key
                AtomicFiles.syncDirectory(userFile(normalised).getParent());
            } catch (IOException e) {
                throw new KeyException("cannot remove " + userFile(normalised) + ": " + e.getMessage(), e);
            }
            users.remove(normalised);
            writeCrl();
            return old.fingerprint();
        }
    }

    /** The CA's certificate revocation list (DER), or empty if nothing was ever revoked. */
    public Optional<byte[]> revocationList() throws KeyException {
        try {
            Path crl = dir.resolve(CRL_FILE);
            return Files.exists(crl) ? Optional.of(Files.readAllBytes(crl)) : Optional.empty();
        } catch (IOException e) {
            throw new KeyException("cannot read " + dir.resolve(CRL_FILE) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Re-wraps every private key (CA, escrow, users, retired) under the master key's current key, each file
     * replaced atomically; entries already under it are skipped, so an interrupted run can simply be repeated.
     *
     * @return how many entries were re-wrapped
     */
    public int rewrapAll() throws KeyException {
        int count = 0;
        List<Path> files = new ArrayList<>();
        files.add(caFile());
        files.add(escrowFile());
        files.addAll(list(dir.resolve(USERS_DIR)));
        files.addAll(list(dir.resolve(RETIRED_DIR)));
        for (Path file : files) {
            KeyEntry entry = readRaw(file);
            if (entry != null) {
                KeyEntry again = entry.rewrapped(masterKey);
                if (again != null) {
                    try {
                        AtomicFiles.replace(file, KeyEntryFile.encode(again), AtomicFiles.OWNER_ONLY);
                    } catch (IOException e) {
                        throw new KeyException("cannot rewrite " + file + ": " + e.getMessage(), e);
                    }
                    count++;
                }
            }
        }
        ca = null;
        escrow = null;
        users.clear();
        return count;
    }

    /** A rotation's outcome: whose key, the new entry, the replaced key's fingerprint (null if none). */
    public record Rotation(String owner, String fingerprint, Instant notAfter, String replacedFingerprint) {
        Rotation(String owner, KeyEntry fresh, String replaced) {
            this(owner, fresh.fingerprint(), fresh.certificate().getNotAfter().toInstant(), replaced);
        }
    }

    public List<KeyInfo> list() throws KeyException {
        List<KeyInfo> infos = new ArrayList<>();
        KeyEntry currentCa = loadCa();
        if (currentCa != null) {
            infos.add(info(currentCa, DistinguishedNames.readable(currentCa.certificate().getSubjectX500Principal())));
        }
        KeyEntry currentEscrow = loadEscrow();
        if (currentEscrow != null) {
            infos.add(info(currentEscrow, DistinguishedNames.readable(currentEscrow.certificate().getSubjectX500Principal())));
        }
        allUsers().stream()
                .sorted(Comparator.comparing(KeyEntry::id))
                .forEach(user -> infos.add(info(user, user.id().substring("user:".length()))));
        for (Retired r : retiredEntries()) {
            String subject = r.entry().kind() == KeyKind.USER ? r.entry().id().substring("user:".length()) : r.entry().id();
            Instant notAfter = r.entry().certificate().getNotAfter().toInstant();
            infos.add(new KeyInfo(r.entry().kind().label, subject, r.entry().fingerprint(), notAfter,
                    (r.name().revoked() ? "revoked " : "retired ") + r.name().retiredAt()));
        }
        return infos;
    }

    /** Every private key that can decrypt mail (escrow and users; not the CA), unwrapped. */
    public List<DecryptionKey> decryptionKeys() throws KeyException {
        List<DecryptionKey> keys = new ArrayList<>();
        for (KeyEntry entry : decryptionEntries()) {
            keys.add(new DecryptionKey(entry.certificate(), unwrap(entry)));
        }
        return keys;
    }

    /** Entries whose keys can decrypt mail, certificates only: callers match first, then unwrap one. */
    List<KeyEntry> decryptionEntries() throws KeyException {
        List<KeyEntry> entries = new ArrayList<>();
        KeyEntry currentEscrow = loadEscrow();
        if (currentEscrow != null) {
            entries.add(currentEscrow);
        }
        entries.addAll(allUsers());
        for (Retired r : retiredEntries()) {
            entries.add(r.entry());
        }
        return entries;
    }

    PrivateKey unwrap(KeyEntry entry) throws KeyException {
        try {
            return entry.privateKey(masterKey);
        } catch (KeyException e) {
            // another process may have re-wrapped the file (master key rotation): read it again once
            KeyEntry fresh = reread(entry);
            if (fresh != null && !Arrays.equals(fresh.wrappedKey(), entry.wrappedKey())) {
                return unwrap(fresh);
            }
            throw new KeyException("master key does not match the keys in " + dir.toAbsolutePath()
                    + " — was VEIL_MASTER_KEY changed? (entry '" + entry.id() + "': " + e.getMessage() + ")", e);
        }
    }

    /** A key as shown to admins: never key material. */
    public record KeyInfo(String kind, String subject, String fingerprint, java.time.Instant notAfter, String status) {
        public KeyInfo(String kind, String subject, String fingerprint, java.time.Instant notAfter) {
            this(kind, subject, fingerprint, notAfter, "current");
        }
    }

    @Override
    public String toString() {
        return "VeilKeys[" + dir.toAbsolutePath() + "]";
    }

    private KeyEntry issueUser(String address, KeyAlgorithm algorithm) throws KeyException {
        synchronized (issueLocks.computeIfAbsent(address, a -> new Object())) {
            KeyEntry existing = loadUser(address);
            if (existing != null) {
                return existing; // another thread or process issued it while we waited
            }
            KeyEntry issuer = requireCa();
            KeyPair pair = algorithm.generate();
            X509Certificate certificate = CertificateIssuer.user(address, pair.getPublic(), issuer.certificate(), unwrap(issuer));
            publish(KeyEntry.create(KeyEntry.idFor(KeyKind.USER, address), KeyKind.USER, certificate, pair.getPrivate(), masterKey),
                    userFile(address));
            // Read back what is on disk: if another process published first, its entry is the one everybody uses.
            KeyEntry published = loadUser(address);
            if (published == null) {
                throw new KeyException("issued a certificate for " + address + " but cannot read it back from " + userFile(address));
            }
            EscrowRecord.write(userFile(address), published.fingerprint());
            return published;
        }
    }

    private KeyEntry requireCa() throws KeyException {
        KeyEntry entry = loadCa();
        if (entry == null) {
            throw new KeyMissingException("key store " + dir.toAbsolutePath()
                    + " has no organisation CA yet — start the server or run any veil keys command once: either makes it from the policy");
        }
        return entry;
    }

    private KeyEntry loadCa() throws KeyException {
        KeyEntry current = ca;
        if (current == null) {
            current = read(caFile(), KeyKind.CA.label, KeyKind.CA);
            if (current != null) {
                ca = current;
            }
        }
        return current;
    }

    /** A cached entry and the modification time of the file it came from (a changed file is read again). */
    private record Cached(KeyEntry entry, FileTime modified) {
    }

    private KeyEntry loadEscrow() throws KeyException {
        FileTime modified = KeyFiles.modified(escrowFile());
        Cached current = escrow;
        if (modified == null) {
            escrow = null;
            return null;
        }
        if (current != null && current.modified().equals(modified)) {
            return current.entry();
        }
        KeyEntry entry = read(escrowFile(), KeyKind.ESCROW.label, KeyKind.ESCROW);
        if (entry == null) {
            return null;
        }
        checkIssuedByCa(entry);
        escrow = new Cached(entry, modified);
        return entry;
    }

    private KeyEntry loadUser(String address) throws KeyException {
        FileTime modified = KeyFiles.modified(userFile(address));
        if (modified == null) {
            users.remove(address);
            return null;
        }
        Cached cached = users.get(address);
        if (cached != null && cached.modified().equals(modified)) {
            return cached.entry();
        }
        KeyEntry entry = read(userFile(address), KeyEntry.idFor(KeyKind.USER, address), KeyKind.USER);
        if (entry == null) {
            return null;
        }
        checkIssuedByCa(entry);
        checkNamesAddress(entry, address);
        users.put(address, new Cached(entry, modified));
        return entry;
    }

    /** Policy-driven rotation: a key issued longer ago than {@code keys.rotation} is replaced at its next use. */
    static boolean dueForRotation(X509Certificate certificate, Period rotation, Instant now) {
        return KeyFiles.olderThan(certificate.getNotBefore().toInstant(), rotation, now);
    }

    /** A retired key: what its file name says and the entry itself. */
    private record Retired(RetiredKey name, Path file, KeyEntry entry) {
    }

    private List<Retired> retiredEntries() throws KeyException {
        List<Retired> retired = new ArrayList<>();
        for (Path file : list(dir.resolve(RETIRED_DIR))) {
            Optional<RetiredKey> name = RetiredKey.parse(file.getFileName().toString(), SUFFIX);
            if (name.isEmpty()) {
                continue;
            }
            String owner = name.get().owner();
            KeyEntry entry;
            if (owner.equals(KeyKind.ESCROW.label)) {
                entry = read(file, KeyKind.ESCROW.label, KeyKind.ESCROW);
            } else {
                String address = Addresses.fromFileName(name.get().ownerFileName(SUFFIX));
                if (address == null) {
                    continue;
                }
                entry = read(file, KeyEntry.idFor(KeyKind.USER, address), KeyKind.USER);
            }
            if (entry != null) {
                checkIssuedByCa(entry);
                retired.add(new Retired(name.get(), file, entry));
            }
        }
        retired.sort(Comparator.comparing((Retired r) -> r.name().retiredAt()));
        return retired;
    }

    private void retire(KeyEntry entry, Path currentFile, boolean revoked) throws KeyException {
        RetiredKey name = RetiredKey.of(currentFile.getFileName().toString(), SUFFIX, entry.fingerprint(), Instant.now(), revoked);
        Path target = dir.resolve(RETIRED_DIR).resolve(name.fileName(SUFFIX));
        try {
            AtomicFiles.createDirectories(dir.resolve(RETIRED_DIR), AtomicFiles.OWNER_ONLY_DIR);
            AtomicFiles.createIfAbsent(target, KeyEntryFile.encode(entry), AtomicFiles.OWNER_ONLY);
        } catch (IOException e) {
            throw new KeyException("cannot keep the old key in " + target + ": " + e.getMessage(), e);
        }
    }

    private void replace(KeyEntry entry, Path file) throws KeyException {
        try {
            AtomicFiles.replace(file, KeyEntryFile.encode(entry), AtomicFiles.OWNER_ONLY);
        } catch (IOException e) {
            throw new KeyException("cannot write key file " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** Deletes retired keys older than the policy's keep-old-keys (never when it says forever). */
    private void prune(KeySettings settings) throws KeyException {
        KeyFiles.pruneRetired(dir.resolve(RETIRED_DIR), SUFFIX, settings.keepOldKeys(), Instant.now());
    }

    private void writeCrl() throws KeyException {
        withCrlLock(() -> {
            writeCrlLocked(Instant.now(), currentCrl());
            return true;
        });
    }

    /**
     * Writes the CRL from the revoked keys in {@code retired/}. Callers hold the CRL lock, so a refresh that read
     * the revoked keys cannot overwrite the CRL a revocation in another process has just written.
     */
    private void writeCrlLocked(Instant now, org.bouncycastle.cert.X509CRLHolder previous) throws KeyException {
        java.util.Map<java.math.BigInteger, Instant> revoked = new java.util.TreeMap<>();
        for (Retired r : retiredEntries()) {
            if (r.name().revoked() && r.entry().kind() == KeyKind.USER) {
                revoked.put(r.entry().certificate().getSerialNumber(), r.name().retiredAt());
            }
        }
        KeyEntry ca = requireCa();
        byte[] der = CertificateIssuer.crl(ca.certificate(), unwrap(ca), revoked, nextCrlNumber(previous, now), now,
                CRL_VALIDITY);
        try {
            AtomicFiles.replace(dir.resolve(CRL_FILE), der, AtomicFiles.PUBLIC_READ);
        } catch (IOException e) {
            throw new KeyException("cannot write " + dir.resolve(CRL_FILE) + ": " + e.getMessage(), e);
        }
    }

    /**
     * One more than the previous CRL's number, and at least the current time in seconds: increasing even if ca.crl
     * was deleted or predates CRL numbers (RFC 5280 5.2.3 only asks for monotonically increasing numbers).
     */
    private static java.math.BigInteger nextCrlNumber(org.bouncycastle.cert.X509CRLHolder previous, Instant now) {
        java.math.BigInteger byTime = java.math.BigInteger.valueOf(now.getEpochSecond());
        org.bouncycastle.asn1.x509.Extension number = previous == null ? null
                : previous.getExtension(org.bouncycastle.asn1.x509.Extension.cRLNumber);
        if (number == null) {
            return byTime;
        }
        java.math.BigInteger next = org.bouncycastle.asn1.x509.CRLNumber.getInstance(number.getParsedValue())
                .getCRLNumber().add(java.math.BigInteger.ONE);
        return next.max(byTime);
    }

    /** The CRL on disk, or null if there is none. */
    private org.bouncycastle.cert.X509CRLHolder currentCrl() throws KeyException {
        Path file = dir.resolve(CRL_FILE);
        try {
            return Files.exists(file) ? new org.bouncycastle.cert.X509CRLHolder(Files.readAllBytes(file)) : null;
        } catch (IOException | RuntimeException e) {
            throw new KeyException("cannot read " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    private interface CrlAction {
        boolean run() throws KeyException;
    }

    /** Runs {@code action} holding the CRL lock: this JVM's monitor and a file lock other processes respect. */
    private boolean withCrlLock(CrlAction action) throws KeyException {
        Path lockFile = dir.resolve(CRL_LOCK_FILE);
        synchronized (CRL_WRITERS) {
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(lockFile,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
                 java.nio.channels.FileLock ignored = channel.lock()) {
                return action.run();
            } catch (IOException e) {
                throw new KeyException("cannot lock " + lockFile.toAbsolutePath() + ": " + e.getMessage(), e);
            }
        }
    }

    private KeyEntry reread(KeyEntry entry) throws KeyException {
        if (entry.kind() == KeyKind.CA) {
            ca = null;
            return loadCa();
        }
        if (entry.kind() == KeyKind.ESCROW) {
            escrow = null;
            return loadEscrow();
        }
        String address = entry.id().substring("user:".length());
        users.remove(address);
        return loadUser(address);
    }

    /** Reads an entry whatever file it is in, with the id its location implies (for re-wrapping). */
    private KeyEntry readRaw(Path file) throws KeyException {
        String name = file.getFileName().toString();
        if (file.equals(caFile())) {
            return read(file, KeyKind.CA.label, KeyKind.CA);
        }
        if (file.equals(escrowFile())) {
            return read(file, KeyKind.ESCROW.label, KeyKind.ESCROW);
        }
        Optional<RetiredKey> retired = RetiredKey.parse(name, SUFFIX);
        String ownerFile = retired.map(r -> r.ownerFileName(SUFFIX)).orElse(name);
        if (ownerFile.equals(ESCROW_FILE)) {
            return read(file, KeyKind.ESCROW.label, KeyKind.ESCROW);
        }
        String address = Addresses.fromFileName(ownerFile);
        return address == null ? null : read(file, KeyEntry.idFor(KeyKind.USER, address), KeyKind.USER);
    }

    private static List<Path> list(Path directory) throws KeyException {
        return KeyFiles.list(directory, SUFFIX);
    }

    private static String organisationOf(X509Certificate ca) {
        org.bouncycastle.asn1.x500.X500Name name = org.bouncycastle.asn1.x500.X500Name.getInstance(
                ca.getSubjectX500Principal().getEncoded());
        org.bouncycastle.asn1.x500.RDN[] o = name.getRDNs(org.bouncycastle.asn1.x500.style.BCStyle.O);
        return o.length > 0 ? org.bouncycastle.asn1.x500.style.IETFUtils.valueToString(o[0].getFirst().getValue())
                : org.bouncycastle.asn1.x500.style.IETFUtils.valueToString(
                        name.getRDNs(org.bouncycastle.asn1.x500.style.BCStyle.CN)[0].getFirst().getValue());
    }

    /** Why each user key file that cannot be used is unusable, one line per file ({@link UserKeyAudit}). */
    public List<String> userKeyProblems() {
        return userAudit.problems(this::loadNotedUser, entry -> entry.privateKey(masterKey));
    }

    private Collection<KeyEntry> allUsers() throws KeyException {
        List<KeyEntry> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.resolve(USERS_DIR), "*.pem")) {
            for (Path file : files) {
                String address = Addresses.fromFileName(file.getFileName().toString());
                if (address != null) {
                    KeyEntry entry = loadUser(address);
                    if (entry != null) {
                        entries.add(entry);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return entries;
        } catch (IOException e) {
            throw new KeyException("cannot list " + dir.resolve(USERS_DIR).toAbsolutePath() + ": " + e.getMessage(), e);
        }
        return entries;
    }

    /**
     * A certificate file is public data that anyone with write access could swap; only its wrapped key is
     * protected. Checking the CA signature stops a planted certificate from receiving mail.
     */
    private void checkIssuedByCa(KeyEntry entry) throws KeyException {
        KeyEntry issuer = requireCa();
        try {
            entry.certificate().verify(issuer.certificate().getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new KeyException("certificate of key entry '" + entry.id() + "' in " + dir.toAbsolutePath()
                    + " is not signed by this key store's CA — the file was replaced; restore it from backup", e);
        }
    }

    /** Stops a colleague's entry copied under another name from receiving that person's mail. */
    private void checkNamesAddress(KeyEntry entry, String address) throws KeyException {
        try {
            Collection<List<?>> names = entry.certificate().getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    if (Integer.valueOf(1).equals(name.get(0)) && address.equalsIgnoreCase(String.valueOf(name.get(1)))) {
                        return;
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new KeyException("certificate of key entry '" + entry.id() + "' cannot be parsed: " + e.getMessage(), e);
        }
        throw new KeyException("certificate in " + userFile(address) + " is not for " + address
                + " — the file was renamed or replaced; restore it from backup");
    }

    private KeyEntry read(Path file, String expectedId, KeyKind kind) throws KeyException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new KeyException("cannot read key file " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        return KeyEntryFile.decode(content, expectedId, kind, file.toAbsolutePath());
    }

    private void publish(KeyEntry entry, Path file) throws KeyException {
        try {
            AtomicFiles.createIfAbsent(file, KeyEntryFile.encode(entry), AtomicFiles.OWNER_ONLY);
        } catch (IOException e) {
            throw new KeyException("cannot write key file " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    private static KeyInfo info(KeyEntry entry, String subject) {
        Instant notAfter = entry.certificate().getNotAfter().toInstant();
        return new KeyInfo(entry.kind().label, subject, entry.fingerprint(), notAfter);
    }

    private Path caFile() {
        return dir.resolve(CA_FILE);
    }

    private Path escrowFile() {
        return dir.resolve(ESCROW_FILE);
    }

    private Path userFile(String normalisedAddress) {
        return dir.resolve(USERS_DIR).resolve(Addresses.fileName(normalisedAddress));
    }
}
