package dev.veil.crypto;

import dev.veil.config.KeySettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;

/**
 * The organisation's OpenPGP keys, next to the S/MIME keys of {@link VeilKeys} in the same key directory:
 * {@code DIR/openpgp/escrow.asc} and {@code DIR/openpgp/users/<address>.asc}. Keys are v4 (what GnuPG 2.2
 * reads), Ed25519/X25519 or RSA after {@code keys.openpgpAlgorithm}; each file holds the public key block and
 * the secret key ring wrapped under the {@link MasterKey} (see {@link OpenPgpEntry}).
 *
 * <p>Files are published atomically (0600) and never rewritten, so a server and a CLI process can share the
 * directory: whoever publishes an entry first wins and the other uses it. Each entry is checked when first
 * loaded (its secret ring unwraps and matches its public key), so a wrong master key or an altered file is
 * detected before the key is used. Public rings are cached; secret rings are unwrapped only when used.
 *
 * <p>Thread-safe.
 */
public final class OpenPgpKeys {
    private static final String OPENPGP_DIR = "openpgp";
    private static final String ESCROW_FILE = "escrow.asc";
    private static final String USERS_DIR = "users";
    private static final String RETIRED_DIR = "retired";
    private static final String SUFFIX = ".asc";
    private static final String REVOCATION_SUFFIX = ".rev";

    private final Path dir;
    private final MasterKey masterKey;
    private final Object initialiseLock = new Object();
    private volatile Cached escrow;
    private final ConcurrentHashMap<String, Cached> users = new ConcurrentHashMap<>();
    private final UserKeyAudit<OpenPgpEntry> userAudit;
    /** "address fingerprint" of the user keys whose issue note this process has checked: one write at most each. */
    private final java.util.Set<String> recorded = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Object> issueLocks = new ConcurrentHashMap<>();

    private OpenPgpKeys(Path dir, MasterKey masterKey) {
        this.dir = dir;
        this.masterKey = masterKey;
        this.userAudit = new UserKeyAudit<>(dir.resolve(USERS_DIR), "*" + SUFFIX, OpenPgpKeys::addressOf);
    }

    /**
     * Opens the OpenPGP keys under {@code keyDir} (the same directory {@link VeilKeys#open} takes), creating
     * {@code keyDir/openpgp} if needed; fails if existing keys do not unwrap with this master key.
     */
    public static OpenPgpKeys open(Path keyDir, MasterKey masterKey) throws KeyException {
        Path dir = keyDir.resolve(OPENPGP_DIR);
        try {
            AtomicFiles.createDirectories(keyDir, AtomicFiles.OWNER_ONLY_DIR);
            AtomicFiles.createDirectories(dir, AtomicFiles.OWNER_ONLY_DIR);
            AtomicFiles.createDirectories(dir.resolve(USERS_DIR), AtomicFiles.OWNER_ONLY_DIR);
        } catch (IOException e) {
            throw new KeyException("cannot create key directory " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        OpenPgpKeys keys = new OpenPgpKeys(dir, masterKey);
        // Loading an entry unwraps it: that is the check that this is the master key the store was made with.
        if (keys.loadEscrow() == null) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.resolve(USERS_DIR), "*" + SUFFIX)) {
                for (Path file : files) {
                    String address = addressOf(file);
                    if (address != null && keys.loadUser(address) != null) {
                        break;
                    }
                }
            } catch (IOException e) {
                throw new KeyException("cannot list " + dir.resolve(USERS_DIR).toAbsolutePath() + ": " + e.getMessage(), e);
            }
        }
        return keys;
    }

    /**
     * Creates the OpenPGP escrow key if {@code settings.escrow()} and there is none yet. Idempotent. Its user id is
     * {@code "<organisation> escrow <escrow@<organisation as a name>.invalid>"}: an address that is clearly not
     * deliverable, only a handle for {@code gpg -r}.
     */
    public void initialise(String organisation, KeySettings settings) throws KeyException {
        if (!settings.escrow()) {
            return;
        }
        synchronized (initialiseLock) {
            OpenPgpEntry existing = loadEscrow();
            if (existing != null) {
                EscrowRecord.write(escrowFile(), existing.fingerprint()); // also for a key made before the note
                return;
            }
            EscrowRecord.checkNoneWasMade(escrowFile());
            if (organisation == null || organisation.isBlank()) {
                throw new KeyException("an organisation name is needed to create the OpenPGP escrow key (it is in its user id)");
            }
            PGPSecretKeyRing ring = OpenPgpKeyMaterial.generate(
                    OpenPgpKeyMaterial.Algorithm.parse(settings.openpgpAlgorithm()), escrowUserId(organisation));
            publish(OpenPgpEntry.create(KeyKind.ESCROW.label, KeyKind.ESCROW, ring, masterKey), escrowFile());
            OpenPgpEntry made = loadEscrow();
            if (made == null) {
                throw new KeyException("created the OpenPGP escrow key but cannot read it back from " + escrowFile());
            }
            EscrowRecord.write(escrowFile(), made.fingerprint());
        }
    }

    /** Whether an OpenPGP key for this address exists (issued earlier, by this or another process). */
    public boolean hasUserKey(String address) {
        try {
            return Files.exists(userFile(Addresses.normalise(address)));
        } catch (KeyException notAnAddress) {
            return false;
        }
    }

    /** The user's public key ring if one exists; never issues. */
    public Optional<PGPPublicKeyRing> findUserKey(String address) throws KeyException {
        return Optional.ofNullable(loadUser(Addresses.normalise(address))).map(OpenPgpEntry::publicRing);
    }

    /**
     * The user's public key ring, generated now if there is none and {@code settings.issueUserCertificates()}
     * allows it (the same switch as for S/MIME certificates).
     *
     * @throws KeyMissingException if there is none and issuing is off
     */
    public PGPPublicKeyRing userKey(String address, KeySettings settings) throws KeyException {
        String normalised = Addresses.normalise(address);
        OpenPgpEntry existing = loadUser(normalised);
        if (existing == null) {
            EscrowRecord.checkNoneWasIssued(userFile(normalised), normalised, "openpgp");
        } else if (!recorded.contains(normalised + " " + existing.fingerprint())) {
            EscrowRecord.checkNoted(userFile(normalised), normalised, existing.fingerprint(), "openpgp", true);
            recorded.add(normalised + " " + existing.fingerprint());
        }
        if (existing != null && settings.issueUserCertificates() && dueForRotation(existing, settings.rotation())) {
            rotateUser(normalised, settings);
            existing = loadUser(normalised);
        }
        if (existing != null) {
            return existing.publicRing();
        }
        if (!settings.issueUserCertificates()) {
            throw new KeyMissingException("no OpenPGP key for " + normalised
                    + " and the policy's keys.smime.issue-user-certificates is false (it governs OpenPGP keys too) — import the user's key or turn issuing on");
        }
        return issueUser(normalised, OpenPgpKeyMaterial.Algorithm.parse(settings.openpgpAlgorithm())).publicRing();
    }

    /** The escrow public key ring; {@link KeyMissingException} if there is none. */
    public PGPPublicKeyRing escrowKey() throws KeyException {
        return requireEscrow().publicRing();
    }

    /** The user's public key, ASCII-armored (CRLF line ends), for {@code gpg --import} or a key server. */
    public String exportPublic(String address) throws KeyException {
        return armorPublic(requireUser(address));
    }

    /** The escrow public key, ASCII-armored. */
    public String exportEscrowPublic() throws KeyException {
        return armorPublic(requireEscrow());
    }

    /**
     * Writes the user's secret key, armored and protected by {@code passphrase} (S2K usage 254, AES-256,
     * iterated and salted SHA-256), to {@code out} (0600). {@code gpg --import} (2.2 and later) reads it.
     * The caller keeps ownership of {@code passphrase}; it is not cleared.
     */
    public void exportSecret(String address, char[] passphrase, Path out) throws KeyException {
        exportSecret(address, passphrase, out, false);
    }

    /**
     * As above; with {@code withRetired}, the user's keys that rotation or revocation retired (kept as long as
     * {@code keep-old-keys} says) follow the current one in the same armored block, newest first, each protected the
     * same way: mail already in Exchange was encrypted to them, and one {@code gpg --import} must bring everything a
     * user who reads with their own key needs. A retired key keeps its own user id, so gpg lists it beside the current
     * one.
     *
     * @return how many retired keys the file holds
     */
    public int exportSecret(String address, char[] passphrase, Path out, boolean withRetired) throws KeyException {
        OpenPgpEntry current = requireUser(address);
        List<OpenPgpEntry> entries = new ArrayList<>(List.of(current));
        if (withRetired) {
            List<Retired> retired = new ArrayList<>(retiredEntries());
            Collections.reverse(retired); // newest first
            for (Retired r : retired) {
                if (r.entry().kind() == KeyKind.USER && r.entry().id().equals(current.id())) {
                    entries.add(r.entry());
                }
            }
        }
        writeSecret(entries, passphrase, out);
        return entries.size() - 1;
    }

    /** Writes the escrow secret key like {@link #exportSecret}. */
    public void exportEscrowSecret(char[] passphrase, Path out) throws KeyException {
        writeSecret(requireEscrow(), passphrase, out);
    }

    /**
     * Writes each escrow key rotation retired (kept as long as {@code keep-old-keys} says) to {@code dir} as
     * {@code escrow-<fingerprint prefix>-secret.asc} (protected like {@link #exportSecret}) and {@code -public.asc}:
     * older mail in Exchange is encrypted to those keys, and without them gpg could not open it. Returns the secret
     * key files written (none if the escrow key was never rotated).
     */
    public List<Path> exportRetiredEscrowSecrets(char[] passphrase, Path dir) throws KeyException {
        List<Path> written = new ArrayList<>();
        for (Retired r : retiredEntries()) {
            if (r.entry().kind() != KeyKind.ESCROW) {
                continue;
            }
            String fingerprint = r.entry().fingerprint();
            String name = "escrow-" + fingerprint.substring(0, Math.min(16, fingerprint.length()));
            Path secret = dir.resolve(name + "-secret.asc");
            writeSecret(r.entry(), passphrase, secret);
            try {
                AtomicFiles.replace(dir.resolve(name + "-public.asc"),
                        armorPublic(r.entry()).getBytes(StandardCharsets.US_ASCII), AtomicFiles.PUBLIC_READ);
            } catch (IOException e) {
                throw new KeyException("cannot write " + dir.resolve(name + "-public.asc").toAbsolutePath() + ": "
                        + e.getMessage(), e);
            }
            written.add(secret);
        }
        return written;
    }

    /** The OpenPGP keys as shown to admins: kind, user id, primary fingerprint, expiry (null: none), status. */
    public List<VeilKeys.KeyInfo> list() throws KeyException {
        List<VeilKeys.KeyInfo> infos = new ArrayList<>();
        OpenPgpEntry currentEscrow = loadEscrow();
        if (currentEscrow != null) {
            infos.add(info(currentEscrow, "current"));
        }
        allUsers().stream().sorted(Comparator.comparing(OpenPgpEntry::id)).forEach(user -> infos.add(info(user, "current")));
        for (Retired r : retiredEntries()) {
            infos.add(info(r.entry(), (r.name().revoked() ? "revoked " : "retired ") + r.name().retiredAt()));
        }
        return infos;
    }

    /** When a key listed by {@link #list()} was made, and its algorithms (as {@code keys show} describes keys). */
    public record KeyDetails(Instant created, String algorithm) {
    }

    /** {@link KeyDetails} of every key {@link #list()} shows, by primary fingerprint. */
    public java.util.Map<String, KeyDetails> details() throws KeyException {
        java.util.Map<String, KeyDetails> details = new java.util.HashMap<>();
        for (OpenPgpEntry entry : decryptionEntries()) { // every key: current escrow, users, retired
            details.put(entry.fingerprint(), new KeyDetails(entry.publicRing().getPublicKey().getCreationTime().toInstant(),
                    OpenPgpKeyMaterial.algorithms(entry.publicRing(), entry.id())));
        }
        return details;
    }

    /**
     * Replaces the user's OpenPGP key by a new one; the old one moves to {@code retired/} and keeps decrypting.
     * Issues a first key if the user has none.
     */
    public VeilKeys.Rotation rotateUser(String address, KeySettings settings) throws KeyException {
        String normalised = Addresses.normalise(address);
        synchronized (issueLocks.computeIfAbsent(normalised, a -> new Object())) {
            OpenPgpEntry old = loadUser(normalised);
            OpenPgpKeyMaterial.Algorithm algorithm = OpenPgpKeyMaterial.Algorithm.parse(settings.openpgpAlgorithm());
            if (old == null) {
                return rotation(normalised, issueUser(normalised, algorithm), null);
            }
            retire(old, userFile(normalised), false, null);
            PGPSecretKeyRing ring = OpenPgpKeyMaterial.generate(algorithm, "<" + normalised + ">");
            OpenPgpEntry fresh = OpenPgpEntry.create(KeyEntry.idFor(KeyKind.USER, normalised), KeyKind.USER, ring, masterKey);
            replace(fresh, userFile(normalised));
            EscrowRecord.write(userFile(normalised), fresh.fingerprint());
            prune(settings);
            return rotation(normalised, fresh, old.fingerprint());
        }
    }

    /** Replaces the OpenPGP escrow key; the old one moves to {@code retired/} and keeps decrypting. */
    public VeilKeys.Rotation rotateEscrow(KeySettings settings) throws KeyException {
        synchronized (initialiseLock) {
            OpenPgpEntry old = requireEscrow();
            retire(old, escrowFile(), false, null);
            PGPSecretKeyRing ring = OpenPgpKeyMaterial.generate(
                    OpenPgpKeyMaterial.Algorithm.parse(settings.openpgpAlgorithm()), OpenPgpKeyMaterial.userId(old.publicRing()));
            OpenPgpEntry fresh = OpenPgpEntry.create(KeyKind.ESCROW.label, KeyKind.ESCROW, ring, masterKey);
            replace(fresh, escrowFile());
            EscrowRecord.write(escrowFile(), fresh.fingerprint());
            prune(settings);
            return rotation("escrow", fresh, old.fingerprint());
        }
    }

    /**
     * Revokes the user's OpenPGP key: it stops encrypting at once, stays in {@code retired/} to decrypt old mail,
     * and a revocation certificate (the public key with a key revocation signature, for {@code gpg --import} and
     * for wherever the key was published) is written next to it.
     *
     * @return the revocation certificate's file
     */
    public Path revokeUser(String address) throws KeyException {
        String normalised = Addresses.normalise(address);
        synchronized (issueLocks.computeIfAbsent(normalised, a -> new Object())) {
            OpenPgpEntry old = requireUser(normalised);
            String certificate;
            try {
                certificate = ArmorOutputStream.armor(OpenPgpKeyMaterial.revoked(unwrap(old)).getEncoded(), "PGP PUBLIC KEY BLOCK");
            } catch (IOException e) {
                throw new KeyException("cannot encode the revocation certificate: " + e.getMessage(), e);
            }
            Path revocation = retire(old, userFile(normalised), true, certificate);
            try {
                Files.delete(userFile(normalised));
                Files.deleteIfExists(EscrowRecord.of(userFile(normalised))); // the next message gets a new key
                AtomicFiles.syncDirectory(userFile(normalised).getParent());
            } catch (IOException e) {
                throw new KeyException("cannot remove " + userFile(normalised) + ": " + e.getMessage(), e);
            }
            users.remove(normalised);
            return revocation;
        }
    }

    /**
     * Re-wraps every secret key (escrow, users, retired) under the master key's current key; entries already
     * under it are skipped, so an interrupted run can be repeated. Returns how many were re-wrapped.
     */
    public int rewrapAll() throws KeyException {
        int count = 0;
        List<Path> files = new ArrayList<>();
        files.add(escrowFile());
        files.addAll(list(dir.resolve(USERS_DIR)));
        files.addAll(list(dir.resolve(RETIRED_DIR)));
        for (Path file : files) {
            OpenPgpEntry entry = readRaw(file);
            if (entry != null) {
                OpenPgpEntry again = entry.rewrapped(masterKey);
                if (again != null) {
                    try {
                        AtomicFiles.replace(file, again.encodeFile(), AtomicFiles.OWNER_ONLY);
                    } catch (IOException e) {
                        throw new KeyException("cannot rewrite " + file + ": " + e.getMessage(), e);
                    }
                    count++;
                }
            }
        }
        escrow = null;
        users.clear();
        return count;
    }

    /** The fingerprint of a key (primary or subkey; 40 hex digits for v4, 64 for v6), lower-case hex, as in {@link SealReport}. */
    public static String fingerprint(PGPPublicKey key) {
        return OpenPgpKeyMaterial.fingerprint(key);
    }

    @Override
    public String toString() {
        return "OpenPgpKeys[" + dir.toAbsolutePath() + "]";
    }

    /** Entries whose keys can decrypt mail (escrow first, then users): callers match key ids, then unwrap one. */
    List<OpenPgpEntry> decryptionEntries() throws KeyException {
        List<OpenPgpEntry> entries = new ArrayList<>();
        OpenPgpEntry currentEscrow = loadEscrow();
        if (currentEscrow != null) {
            entries.add(currentEscrow);
        }
        entries.addAll(allUsers());
        for (Retired r : retiredEntries()) {
            entries.add(r.entry());
        }
        return entries;
    }

    PGPSecretKeyRing unwrap(OpenPgpEntry entry) throws KeyException {
        try {
            return entry.secretRing(masterKey);
        } catch (KeyException e) {
            OpenPgpEntry fresh = reread(entry);
            if (fresh != null && !java.util.Arrays.equals(fresh.wrappedKey(), entry.wrappedKey())) {
                return unwrap(fresh);
            }
            throw new KeyException("master key does not match the OpenPGP keys in " + dir.toAbsolutePath()
                    + " — was VEIL_MASTER_KEY changed? (entry '" + entry.id() + "': " + e.getMessage() + ")", e);
        }
    }

    OpenPgpEntry requireEscrow() throws KeyException {
        OpenPgpEntry entry = loadEscrow();
        if (entry == null) {
            throw new KeyMissingException(EscrowRecord.lost(escrowFile()).orElse("no OpenPGP escrow key in "
                    + dir.toAbsolutePath() + " — initialise the key store with keys.escrow: true"));
        }
        return entry;
    }

    /** Why the OpenPGP escrow key cannot be used: its file is gone while the note that one was made is there. */
    public java.util.Optional<String> escrowProblem() {
        return EscrowRecord.lost(escrowFile());
    }

    static String escrowUserId(String organisation) {
        String name = organisation.strip().replaceAll("[\\p{Cntrl}<>]", " ").replaceAll("\\s+", " ");
        String domain = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (domain.isEmpty()) {
            domain = "veil";
        }
        return name + " escrow <escrow@" + domain + ".invalid>";
    }

    private OpenPgpEntry requireUser(String address) throws KeyException {
        String normalised = Addresses.normalise(address);
        OpenPgpEntry entry = loadUser(normalised);
        if (entry == null) {
            throw new KeyMissingException("no OpenPGP key for " + normalised + " in " + dir.toAbsolutePath());
        }
        return entry;
    }

    private OpenPgpEntry issueUser(String address, OpenPgpKeyMaterial.Algorithm algorithm) throws KeyException {
        synchronized (issueLocks.computeIfAbsent(address, a -> new Object())) {
            OpenPgpEntry existing = loadUser(address);
            if (existing != null) {
                return existing; // another thread or process issued it while we waited
            }
            PGPSecretKeyRing ring = OpenPgpKeyMaterial.generate(algorithm, "<" + address + ">");
            publish(OpenPgpEntry.create(KeyEntry.idFor(KeyKind.USER, address), KeyKind.USER, ring, masterKey), userFile(address));
            // Read back what is on disk: if another process published first, its entry is the one everybody uses.
            OpenPgpEntry published = loadUser(address);
            if (published == null) {
                throw new KeyException("generated an OpenPGP key for " + address + " but cannot read it back from "
                        + userFile(address));
            }
            EscrowRecord.write(userFile(address), published.fingerprint());
            return published;
        }
    }

    /** A cached entry and the modification time of its file (a changed file, e.g. rotated elsewhere, is read again). */
    private record Cached(OpenPgpEntry entry, java.nio.file.attribute.FileTime modified) {
    }

    private OpenPgpEntry loadEscrow() throws KeyException {
        java.nio.file.attribute.FileTime modified = KeyFiles.modified(escrowFile());
        if (modified == null) {
            escrow = null;
            return null;
        }
        Cached current = escrow;
        if (current != null && current.modified().equals(modified)) {
            return current.entry();
        }
        OpenPgpEntry entry = read(escrowFile(), KeyKind.ESCROW.label, KeyKind.ESCROW);
        if (entry != null) {
            escrow = new Cached(entry, modified);
        }
        return entry;
    }

    private OpenPgpEntry loadUser(String address) throws KeyException {
        java.nio.file.attribute.FileTime modified = KeyFiles.modified(userFile(address));
        if (modified == null) {
            users.remove(address);
            return null;
        }
        Cached cached = users.get(address);
        if (cached != null && cached.modified().equals(modified)) {
            return cached.entry();
        }
        OpenPgpEntry entry = read(userFile(address), KeyEntry.idFor(KeyKind.USER, address), KeyKind.USER);
        if (entry == null) {
            return null;
        }
        users.put(address, new Cached(entry, modified));
        return entry;
    }

    static boolean dueForRotation(OpenPgpEntry entry, java.time.Period rotation) {
        return KeyFiles.olderThan(entry.publicRing().getPublicKey().getCreationTime().toInstant(), rotation, Instant.now());
    }

    private static VeilKeys.Rotation rotation(String owner, OpenPgpEntry fresh, String replaced) {
        return new VeilKeys.Rotation(owner, fresh.fingerprint(), info(fresh, "current").notAfter(), replaced);
    }

    /** A retired key: what its file name says and the entry itself. */
    private record Retired(RetiredKey name, Path file, OpenPgpEntry entry) {
    }

    private List<Retired> retiredEntries() throws KeyException {
        List<Retired> retired = new ArrayList<>();
        for (Path file : list(dir.resolve(RETIRED_DIR))) {
            Optional<RetiredKey> name = RetiredKey.parse(file.getFileName().toString(), SUFFIX);
            if (name.isEmpty()) {
                continue;
            }
            OpenPgpEntry entry = readRaw(file);
            if (entry != null) {
                retired.add(new Retired(name.get(), file, entry));
            }
        }
        retired.sort(Comparator.comparing((Retired r) -> r.name().retiredAt()));
        return retired;
    }

    /** Keeps the old entry in retired/; with a revocation certificate, writes it beside (returned). */
    private Path retire(OpenPgpEntry entry, Path currentFile, boolean revoked, String revocationCertificate) throws KeyException {
        RetiredKey name = RetiredKey.of(currentFile.getFileName().toString(), SUFFIX, entry.fingerprint(), Instant.now(), revoked);
        Path retiredDir = dir.resolve(RETIRED_DIR);
        Path target = retiredDir.resolve(name.fileName(SUFFIX));
        Path certificate = retiredDir.resolve(name.fileName(REVOCATION_SUFFIX + SUFFIX));
        try {
            AtomicFiles.createDirectories(retiredDir, AtomicFiles.OWNER_ONLY_DIR);
            if (revocationCertificate != null) {
                AtomicFiles.replace(certificate, revocationCertificate.getBytes(StandardCharsets.US_ASCII), AtomicFiles.PUBLIC_READ);
            }
            AtomicFiles.createIfAbsent(target, entry.encodeFile(), AtomicFiles.OWNER_ONLY);
        } catch (IOException e) {
            throw new KeyException("cannot keep the old key in " + target + ": " + e.getMessage(), e);
        }
        return certificate;
    }

    private void replace(OpenPgpEntry entry, Path file) throws KeyException {
        try {
            AtomicFiles.replace(file, entry.encodeFile(), AtomicFiles.OWNER_ONLY);
        } catch (IOException e) {
            throw new KeyException("cannot write OpenPGP key file " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    private void prune(KeySettings settings) throws KeyException {
        KeyFiles.pruneRetired(dir.resolve(RETIRED_DIR), SUFFIX, settings.keepOldKeys(), Instant.now());
    }

    private OpenPgpEntry reread(OpenPgpEntry entry) throws KeyException {
        if (entry.kind() == KeyKind.ESCROW) {
            escrow = null;
            return loadEscrowQuietly();
        }
        String address = entry.id().substring("user:".length());
        users.remove(address);
        java.nio.file.attribute.FileTime modified = KeyFiles.modified(userFile(address));
        if (modified == null) {
            return null;
        }
        try {
            return OpenPgpEntry.decode(Files.readAllBytes(userFile(address)), entry.id(), KeyKind.USER, userFile(address));
        } catch (IOException e) {
            return null;
        }
    }

    private OpenPgpEntry loadEscrowQuietly() throws KeyException {
        try {
            return Files.exists(escrowFile())
                    ? OpenPgpEntry.decode(Files.readAllBytes(escrowFile()), KeyKind.ESCROW.label, KeyKind.ESCROW, escrowFile())
                    : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Reads an entry wherever it lies, with the id its location implies, without unwrapping it. */
    private OpenPgpEntry readRaw(Path file) throws KeyException {
        String name = file.getFileName().toString();
        if (name.endsWith(REVOCATION_SUFFIX + SUFFIX)) {
            return null;
        }
        Optional<RetiredKey> retired = RetiredKey.parse(name, SUFFIX);
        String ownerFile = retired.map(r -> r.ownerFileName(SUFFIX)).orElse(name);
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new KeyException("cannot read OpenPGP key file " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        if (ownerFile.equals(ESCROW_FILE)) {
            return OpenPgpEntry.decode(content, KeyKind.ESCROW.label, KeyKind.ESCROW, file.toAbsolutePath());
        }
        String address = addressOf(Path.of(ownerFile));
        return address == null ? null
                : OpenPgpEntry.decode(content, KeyEntry.idFor(KeyKind.USER, address), KeyKind.USER, file.toAbsolutePath());
    }

    private static List<Path> list(Path directory) throws KeyException {
        return KeyFiles.list(directory, SUFFIX);
    }

    /** Why each user key file that cannot be used is unusable, one line per file ({@link UserKeyAudit}). */
    public List<String> userKeyProblems() {
        return userAudit.problems(address -> {
            OpenPgpEntry entry = loadUser(address);
            if (entry != null) { // the key Veil issued the user last (EscrowRecord)
                EscrowRecord.checkNoted(userFile(address), address, entry.fingerprint(), "openpgp", false);
            }
            return entry;
        }, entry -> entry.secretRing(masterKey));
    }

    private List<OpenPgpEntry> allUsers() throws KeyException {
        List<OpenPgpEntry> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.resolve(USERS_DIR), "*" + SUFFIX)) {
            for (Path file : files) {
                String address = addressOf(file);
                if (address != null) {
                    OpenPgpEntry entry = loadUser(address);
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
     * Reads an entry and checks it: the secret ring must unwrap under this master key with this entry's id and
     * match the public ring (so a file renamed to another address, or a replaced public key, is refused).
     */
    private OpenPgpEntry read(Path file, String expectedId, KeyKind kind) throws KeyException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new KeyException("cannot read OpenPGP key file " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        OpenPgpEntry entry = OpenPgpEntry.decode(content, expectedId, kind, file.toAbsolutePath());
        unwrap(entry);
        return entry;
    }

    private void publish(OpenPgpEntry entry, Path file) throws KeyException {
        try {
            AtomicFiles.createIfAbsent(file, entry.encodeFile(), AtomicFiles.OWNER_ONLY);
        } catch (IOException e) {
            throw new KeyException("cannot write OpenPGP key file " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    private void writeSecret(OpenPgpEntry entry, char[] passphrase, Path out) throws KeyException {
        writeSecret(List.of(entry), passphrase, out);
    }

    /** The keys as one armored block: a sequence of transferable secret keys (RFC 4880 section 11.2). */
    private void writeSecret(List<OpenPgpEntry> entries, char[] passphrase, Path out) throws KeyException {
        if (passphrase == null || passphrase.length == 0) {
            throw new KeyException("a passphrase is needed to export an OpenPGP secret key");
        }
        try {
            ByteArrayOutputStream rings = new ByteArrayOutputStream();
            for (OpenPgpEntry entry : entries) {
                rings.write(OpenPgpKeyMaterial.protect(unwrap(entry), passphrase).getEncoded());
            }
            byte[] armored = ArmorOutputStream.armor(rings.toByteArray(), "PGP PRIVATE KEY BLOCK")
                    .getBytes(StandardCharsets.US_ASCII);
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            AtomicFiles.replace(out, armored, AtomicFiles.OWNER_ONLY);
        } catch (IOException e) {
            throw new KeyException("cannot write " + out.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    private static String armorPublic(OpenPgpEntry entry) throws KeyException {
        try {
            return ArmorOutputStream.armor(entry.publicRing().getEncoded(), "PGP PUBLIC KEY BLOCK");
        } catch (IOException e) {
            throw new KeyException("cannot encode the OpenPGP key of '" + entry.id() + "': " + e.getMessage(), e);
        }
    }

    private static VeilKeys.KeyInfo info(OpenPgpEntry entry, String status) {
        PGPPublicKey primary = entry.publicRing().getPublicKey();
        long valid = primary.getValidSeconds();
        Instant notAfter = valid > 0 ? primary.getCreationTime().toInstant().plusSeconds(valid) : null;
        return new VeilKeys.KeyInfo("openpgp-" + entry.kind().label, OpenPgpKeyMaterial.userId(entry.publicRing()),
                entry.fingerprint(), notAfter, status);
    }

    private static String addressOf(Path file) {
        String name = file.getFileName().toString();
        if (!name.endsWith(SUFFIX)) {
            return null;
        }
        return Addresses.fromFileName(name.substring(0, name.length() - SUFFIX.length()) + ".pem");
    }

    private Path escrowFile() {
        return dir.resolve(ESCROW_FILE);
    }

    private Path userFile(String normalisedAddress) {
        String pemName = Addresses.fileName(normalisedAddress);
        return dir.resolve(USERS_DIR).resolve(pemName.substring(0, pemName.length() - ".pem".length()) + SUFFIX);
    }
}
