package dev.veil.crypto;

import dev.veil.config.KeySettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
import java.util.concurrent.ConcurrentHashMap;

/**
 * Veil's key store: organisation CA, escrow key, per-user S/MIME certificates. Private keys are
 * kept encrypted under the {@link MasterKey}; a wrong master key is detected on open.
 *
 * <p>Layout: {@code DIR/ca.pem}, {@code DIR/escrow.pem}, {@code DIR/users/<address>.pem}; each file holds a
 * certificate and its wrapped private key (see {@link KeyEntryFile}). Files are published atomically and
 * never rewritten, so a server and a CLI process can share the directory: whoever publishes an entry first
 * wins and the other uses it. Certificates are cached in memory; private keys are unwrapped only when used.
 *
 * <p>Thread-safe.
 */
public final class VeilKeys {
    private static final String CA_FILE = "ca.pem";
    private static final String ESCROW_FILE = "escrow.pem";
    private static final String USERS_DIR = "users";

    private final Path dir;
    private final MasterKey masterKey;
    private final Object initialiseLock = new Object();
    private volatile KeyEntry ca;
    private volatile KeyEntry escrow;
    private final ConcurrentHashMap<String, KeyEntry> users = new ConcurrentHashMap<>();
    /** One lock per address being issued, so two threads don't generate two keys for the same user. */
    private final ConcurrentHashMap<String, Object> issueLocks = new ConcurrentHashMap<>();

    private VeilKeys(Path dir, MasterKey masterKey) {
        this.dir = dir;
        this.masterKey = masterKey;
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
            if (settings.escrow() && loadEscrow() == null) {
                KeyPair pair = algorithm.generate();
                X509Certificate certificate = CertificateIssuer.escrow(organisation.strip(), pair.getPublic(),
                        currentCa.certificate(), unwrap(currentCa));
                publish(KeyEntry.create(KeyKind.ESCROW.label, KeyKind.ESCROW, certificate, pair.getPrivate(), masterKey),
                        escrowFile());
                loadEscrow();
            }
        }
    }

    /** Whether a certificate for this address exists (issued earlier, by this or another process). */
    public boolean hasUserCertificate(String address) {
        try {
            String normalised = Addresses.normalise(address);
            return users.containsKey(normalised) || Files.exists(userFile(normalised));
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
        if (existing != null) {
            return existing.certificate();
        }
        if (!settings.issueUserCertificates()) {
            throw new KeyMissingException("no S/MIME certificate for " + normalised
                    + " and keys.issueUserCertificates is false — import the user's certificate or turn issuing on");
        }
        return issueUser(normalised, KeyAlgorithm.parse(settings.smimeAlgorithm())).certificate();
    }

    /** The escrow certificate; {@link KeyMissingException} if the store has none. */
    public X509Certificate escrowCertificate() throws KeyException {
        KeyEntry entry = loadEscrow();
        if (entry == null) {
            throw new KeyMissingException("no escrow key in " + dir.toAbsolutePath()
                    + " — initialise the key store with keys.escrow: true");
        }
        return entry.certificate();
    }

    /** The organisation CA certificate (to distribute to clients as a trust anchor). */
    public X509Certificate caCertificate() throws KeyException {
        return requireCa().certificate();
    }

    /** Writes the user's certificate and private key as PKCS#12 (PBES2, AES-256-CBC, SHA-256 MAC). */
    public void exportUserPkcs12(String address, char[] password, Path out) throws KeyException {
        String normalised = Addresses.normalise(address);
        KeyEntry entry = loadUser(normalised);
        if (entry == null) {
            throw new KeyMissingException("no S/MIME key for " + normalised + " in " + dir.toAbsolutePath());
        }
        byte[] pkcs12 = Pkcs12Writer.write(normalised, entry.certificate(), unwrap(entry), requireCa().certificate(), password);
        try {
            AtomicFiles.replace(out, pkcs12, AtomicFiles.OWNER_ONLY);
        } catch (IOException e) {
            throw new KeyException("cannot write " + out.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code escrow-key.pem} (PKCS#8, unencrypted: the caller chose to export) and {@code escrow-cert.pem}. */
    public void exportEscrow(Path dir) throws KeyException {
        KeyEntry entry = loadEscrow();
        if (entry == null) {
            throw new KeyMissingException("no escrow key in " + this.dir.toAbsolutePath() + " to export");
        }
        PrivateKey key = unwrap(entry);
        byte[] pkcs8 = key.getEncoded();
        byte[] keyPem = Pem.encode("PRIVATE KEY", pkcs8);
        Arrays.fill(pkcs8, (byte) 0);
        try {
            Files.createDirectories(dir);
            AtomicFiles.replace(dir.resolve("escrow-key.pem"), keyPem, AtomicFiles.OWNER_ONLY);
            AtomicFiles.replace(dir.resolve("escrow-cert.pem"), Pem.encode("CERTIFICATE", entry.certificate().getEncoded()),
                    AtomicFiles.PUBLIC_READ);
        } catch (IOException | GeneralSecurityException e) {
            throw new KeyException("cannot export the escrow key to " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(keyPem, (byte) 0);
        }
    }

    public List<KeyInfo> list() throws KeyException {
        List<KeyInfo> infos = new ArrayList<>();
        KeyEntry currentCa = loadCa();
        if (currentCa != null) {
            infos.add(info(currentCa, currentCa.certificate().getSubjectX500Principal().getName()));
        }
        KeyEntry currentEscrow = loadEscrow();
        if (currentEscrow != null) {
            infos.add(info(currentEscrow, currentEscrow.certificate().getSubjectX500Principal().getName()));
        }
        allUsers().stream()
                .sorted(Comparator.comparing(KeyEntry::id))
                .forEach(user -> infos.add(info(user, user.id().substring("user:".length()))));
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
        return entries;
    }

    PrivateKey unwrap(KeyEntry entry) throws KeyException {
        try {
            return entry.privateKey(masterKey);
        } catch (KeyException e) {
            throw new KeyException("master key does not match the keys in " + dir.toAbsolutePath()
                    + " — was VEIL_MASTER_KEY changed? (entry '" + entry.id() + "': " + e.getMessage() + ")", e);
        }
    }

    /** A key as shown to admins: never key material. */
    public record KeyInfo(String kind, String subject, String fingerprint, java.time.Instant notAfter) {
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
            return published;
        }
    }

    private KeyEntry requireCa() throws KeyException {
        KeyEntry entry = loadCa();
        if (entry == null) {
            throw new KeyMissingException("key store " + dir.toAbsolutePath()
                    + " has no organisation CA yet — initialise it first (veil keys init)");
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

    private KeyEntry loadEscrow() throws KeyException {
        KeyEntry current = escrow;
        if (current == null) {
            current = read(escrowFile(), KeyKind.ESCROW.label, KeyKind.ESCROW);
            if (current != null) {
                checkIssuedByCa(current);
                escrow = current;
            }
        }
        return current;
    }

    private KeyEntry loadUser(String address) throws KeyException {
        KeyEntry cached = users.get(address);
        if (cached != null) {
            return cached;
        }
        KeyEntry entry = read(userFile(address), KeyEntry.idFor(KeyKind.USER, address), KeyKind.USER);
        if (entry == null) {
            return null;
        }
        checkIssuedByCa(entry);
        checkNamesAddress(entry, address);
        KeyEntry raced = users.putIfAbsent(address, entry);
        return raced != null ? raced : entry;
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
