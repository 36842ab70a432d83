package dev.veil.crypto;

import dev.veil.config.KeySettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
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
    private static final String SUFFIX = ".asc";

    private final Path dir;
    private final MasterKey masterKey;
    private final Object initialiseLock = new Object();
    private volatile OpenPgpEntry escrow;
    private final ConcurrentHashMap<String, OpenPgpEntry> users = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Object> issueLocks = new ConcurrentHashMap<>();

    private OpenPgpKeys(Path dir, MasterKey masterKey) {
        this.dir = dir;
        this.masterKey = masterKey;
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
            if (loadEscrow() != null) {
                return;
            }
            if (organisation == null || organisation.isBlank()) {
                throw new KeyException("an organisation name is needed to create the OpenPGP escrow key (it is in its user id)");
            }
            PGPSecretKeyRing ring = OpenPgpKeyMaterial.generate(
                    OpenPgpKeyMaterial.Algorithm.parse(settings.openpgpAlgorithm()), escrowUserId(organisation));
            publish(OpenPgpEntry.create(KeyKind.ESCROW.label, KeyKind.ESCROW, ring, masterKey), escrowFile());
            if (loadEscrow() == null) {
                throw new KeyException("created the OpenPGP escrow key but cannot read it back from " + escrowFile());
            }
        }
    }

    /** Whether an OpenPGP key for this address exists (issued earlier, by this or another process). */
    public boolean hasUserKey(String address) {
        try {
            String normalised = Addresses.normalise(address);
            return users.containsKey(normalised) || Files.exists(userFile(normalised));
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
        if (existing != null) {
            return existing.publicRing();
        }
        if (!settings.issueUserCertificates()) {
            throw new KeyMissingException("no OpenPGP key for " + normalised
                    + " and keys.issueUserCertificates is false — import the user's key or turn issuing on");
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
        writeSecret(requireUser(address), passphrase, out);
    }

    /** Writes the escrow secret key like {@link #exportSecret}. */
    public void exportEscrowSecret(char[] passphrase, Path out) throws KeyException {
        writeSecret(requireEscrow(), passphrase, out);
    }

    /** The OpenPGP keys as shown to admins: kind, user id, primary fingerprint, expiry (null: none). */
    public List<VeilKeys.KeyInfo> list() throws KeyException {
        List<VeilKeys.KeyInfo> infos = new ArrayList<>();
        OpenPgpEntry currentEscrow = loadEscrow();
        if (currentEscrow != null) {
            infos.add(info(currentEscrow));
        }
        allUsers().stream().sorted(Comparator.comparing(OpenPgpEntry::id)).forEach(user -> infos.add(info(user)));
        return infos;
    }

    /** The v4 fingerprint of a key (primary or subkey), lower-case hex, as in {@link SealReport}. */
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
        return entries;
    }

    PGPSecretKeyRing unwrap(OpenPgpEntry entry) throws KeyException {
        try {
            return entry.secretRing(masterKey);
        } catch (KeyException e) {
            throw new KeyException("master key does not match the OpenPGP keys in " + dir.toAbsolutePath()
                    + " — was VEIL_MASTER_KEY changed? (entry '" + entry.id() + "': " + e.getMessage() + ")", e);
        }
    }

    OpenPgpEntry requireEscrow() throws KeyException {
        OpenPgpEntry entry = loadEscrow();
        if (entry == null) {
            throw new KeyMissingException("no OpenPGP escrow key in " + dir.toAbsolutePath()
                    + " — initialise the key store with keys.escrow: true");
        }
        return entry;
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
            return published;
        }
    }

    private OpenPgpEntry loadEscrow() throws KeyException {
        OpenPgpEntry current = escrow;
        if (current == null) {
            current = read(escrowFile(), KeyKind.ESCROW.label, KeyKind.ESCROW);
            if (current != null) {
                escrow = current;
            }
        }
        return current;
    }

    private OpenPgpEntry loadUser(String address) throws KeyException {
        OpenPgpEntry cached = users.get(address);
        if (cached != null) {
            return cached;
        }
        OpenPgpEntry entry = read(userFile(address), KeyEntry.idFor(KeyKind.USER, address), KeyKind.USER);
        if (entry == null) {
            return null;
        }
        OpenPgpEntry raced = users.putIfAbsent(address, entry);
        return raced != null ? raced : entry;
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
        if (passphrase == null || passphrase.length == 0) {
            throw new KeyException("a passphrase is needed to export an OpenPGP secret key");
        }
        PGPSecretKeyRing protectedRing = OpenPgpKeyMaterial.protect(unwrap(entry), passphrase);
        try {
            byte[] armored = ArmorOutputStream.armor(protectedRing.getEncoded(), "PGP PRIVATE KEY BLOCK")
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

    private static VeilKeys.KeyInfo info(OpenPgpEntry entry) {
        PGPPublicKey primary = entry.publicRing().getPublicKey();
        long valid = primary.getValidSeconds();
        Instant notAfter = valid > 0 ? primary.getCreationTime().toInstant().plusSeconds(valid) : null;
        return new VeilKeys.KeyInfo("openpgp-" + entry.kind().label, OpenPgpKeyMaterial.userId(entry.publicRing()),
                entry.fingerprint(), notAfter);
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
