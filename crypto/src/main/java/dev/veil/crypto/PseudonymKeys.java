package dev.veil.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The secrets behind pseudonyms, one per key version, each 64 random bytes stored in {@code DIR/pseudonym/vN.key}
 * wrapped under the {@link MasterKey}. Versions only ever get added: rotation makes a new current version, and the
 * old ones stay so that pseudonyms already in Exchange can still be re-identified until everything is re-sealed.
 * Two Veil nodes with the same key files make the same pseudonyms without talking to each other.
 */
public final class PseudonymKeys {
    private static final Pattern FILE = Pattern.compile("v([1-9][0-9]{0,3})\\.key");
    private static final int SECRET_BYTES = 64;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final MasterKey masterKey;
    private final NavigableMap<Integer, byte[]> secrets;

    private PseudonymKeys(Path dir, MasterKey masterKey, NavigableMap<Integer, byte[]> secrets) {
        this.dir = dir;
        this.masterKey = masterKey;
        this.secrets = secrets;
    }

    /** Opens the pseudonym keys under the key store directory, creating version 1 on first use. */
    public static PseudonymKeys open(Path keyStoreDir, MasterKey masterKey) throws KeyException {
        Path dir = keyStoreDir.resolve("pseudonym");
        try {
            AtomicFiles.createDirectories(dir, AtomicFiles.OWNER_ONLY_DIR);
            NavigableMap<Integer, byte[]> secrets = read(dir, masterKey);
            PseudonymKeys keys = new PseudonymKeys(dir, masterKey, secrets);
            if (secrets.isEmpty()) {
                keys.add(1);
            }
            return keys;
        } catch (IOException e) {
            throw new KeyException("cannot read or create the pseudonym keys in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Adds a new current version; returns its number. Existing versions stay. */
    public synchronized int rotate() throws KeyException {
        int next = secrets.lastKey() + 1;
        try {
            add(next);
        } catch (IOException e) {
            throw new KeyException("cannot write pseudonym key version " + next + " in " + dir + ": " + e.getMessage(), e);
        }
        return next;
    }

    public synchronized int currentVersion() {
        return secrets.lastKey();
    }

    /** Every version, oldest first (copies of the secrets are not handed out: see {@link Pseudonymiser}). */
    public synchronized NavigableMap<Integer, byte[]> secrets() {
        NavigableMap<Integer, byte[]> copy = new TreeMap<>();
        secrets.forEach((v, s) -> copy.put(v, s.clone()));
        return Collections.unmodifiableNavigableMap(copy);
    }

    /**
     * Re-wraps every version under the master key's current key (master key rotation; the secrets themselves do
     * not change, so no pseudonym changes). Versions already under it are skipped. Returns how many were re-wrapped.
     */
    public synchronized int rewrapAll() throws KeyException {
        int count = 0;
        try {
            for (int version : secrets.keySet()) {
                Path file = file(dir, version);
                byte[] again = masterKey.rewrap(Files.readAllBytes(file), ad(version));
                if (again != null) {
                    AtomicFiles.replace(file, again, AtomicFiles.OWNER_ONLY);
                    count++;
                }
            }
        } catch (IOException e) {
            throw new KeyException("cannot re-wrap the pseudonym keys in " + dir + ": " + e.getMessage(), e);
        }
        return count;
    }

    private void add(int version) throws IOException {
        byte[] secret = new byte[SECRET_BYTES];
        RANDOM.nextBytes(secret);
        if (!AtomicFiles.createIfAbsent(file(dir, version), masterKey.wrap(secret, ad(version)), AtomicFiles.OWNER_ONLY)) {
            throw new IOException("version " + version + " appeared meanwhile (another process rotated); re-open");
        }
        secrets.put(version, secret);
    }

    private static NavigableMap<Integer, byte[]> read(Path dir, MasterKey masterKey) throws IOException, KeyException {
        NavigableMap<Integer, byte[]> secrets = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                Matcher m = FILE.matcher(f.getFileName().toString());
                if (m.matches()) {
                    int version = Integer.parseInt(m.group(1));
                    try {
                        secrets.put(version, masterKey.unwrap(Files.readAllBytes(f), ad(version)));
                    } catch (KeyException e) {
                        throw new KeyException(f + ": " + e.getMessage(), e);
                    }
                }
            }
        }
        return secrets;
    }

    private static Path file(Path dir, int version) {
        return dir.resolve("v" + version + ".key");
    }

    private static byte[] ad(int version) {
        return ("veil pseudonym key v" + version).getBytes(StandardCharsets.US_ASCII);
    }
}
