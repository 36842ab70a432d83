package dev.veil.crypto;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key under which every private key is stored encrypted at rest (AES-256-GCM key wrapping).
 * Comes from {@code VEIL_MASTER_KEY} (base64 of 32 bytes) or from a file created with mode 0600 on first start.
 *
 * <p>Wrapped form: {@code version(1) || iv(12) || ciphertext || tag(16)}. The caller passes associated data
 * naming what the key belongs to, so a wrapped key copied into another entry fails to unwrap.
 * The key itself is never logged: {@link #toString()} is redacted.
 *
 * <p>Rotation ({@code veil keys rotate-master}) never has a moment in which some key cannot be opened: the new key
 * is written next to the old one ({@code master.key.next}) before anything is re-wrapped, and while both exist the
 * new one wraps and both unwrap. Only when every entry is re-wrapped does {@code master.key.next} replace
 * {@code master.key}. A running server notices both steps on its own (it looks for the next key before it wraps
 * and re-reads the files when an unwrap fails), so it keeps working throughout. With {@code VEIL_MASTER_KEY}, the
 * old key goes in {@code VEIL_MASTER_KEY_PREVIOUS} for the time of the rotation.
 */
public final class MasterKey {
    /** The environment variable that, when set, takes precedence over the file. */
    public static final String ENV_VARIABLE = "VEIL_MASTER_KEY";
    /** During a rotation with the environment variable: the old key, which only unwraps. */
    public static final String PREVIOUS_ENV_VARIABLE = "VEIL_MASTER_KEY_PREVIOUS";

    private static final int KEY_BYTES = 32;
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final byte FORMAT_V1 = 1;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** keys[0] wraps; every one of them unwraps (the old key while a rotation is under way). */
    private volatile SecretKeySpec[] keys;
    /** The key file this came from, re-read to follow a rotation done by another process; null otherwise. */
    private final Path file;
    /** When the key file was last read (a rotation replaces it). */
    private volatile java.nio.file.attribute.FileTime fileModified;

    private MasterKey(byte[] keyBytes) {
        this(new SecretKeySpec[] {new SecretKeySpec(keyBytes, "AES")}, null);
        Arrays.fill(keyBytes, (byte) 0);
    }

    private MasterKey(SecretKeySpec[] keys, Path file) {
        this.keys = keys;
        this.file = file;
        if (file != null) {
            try {
                this.fileModified = Files.getLastModifiedTime(file);
            } catch (IOException e) {
                this.fileModified = null;
            }
        }
    }

    /** The file that holds the next master key while a rotation is under way. */
    public static Path nextFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".next");
    }

    /**
     * Reads {@code VEIL_MASTER_KEY} from {@code env} if set, else the file, creating it (0600) with a warning if absent.
     *
     * @throws IllegalArgumentException if the variable or the file does not hold base64 of 32 bytes
     * @throws UncheckedIOException if the file cannot be read or created
     */
    public static MasterKey load(Map<String, String> env, Path file, Consumer<String> warn) {
        String fromEnv = env.get(ENV_VARIABLE);
        if (fromEnv != null && !fromEnv.isBlank()) {
            MasterKey current = decode(fromEnv, ENV_VARIABLE);
            String previous = env.get(PREVIOUS_ENV_VARIABLE);
            if (previous != null && !previous.isBlank()) {
                return new MasterKey(new SecretKeySpec[] {current.keys[0], decode(previous, PREVIOUS_ENV_VARIABLE).keys[0]}, null);
            }
            return current;
        }
        try {
            if (!Files.exists(file)) {
                if (createFile(file)) {
                    warn.accept("Generated a new master key in " + file.toAbsolutePath()
                            + ". Back it up: without it the keys in the key store cannot be decrypted. "
                            + "For production, move it into the " + ENV_VARIABLE + " environment variable and delete the file.");
                }
            }
            warnIfOthersCanRead(file, warn);
            return new MasterKey(readKeys(file), file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the master key file " + file.toAbsolutePath()
                    + ": " + e.getMessage() + " — fix the path/permissions or set " + ENV_VARIABLE, e);
        }
    }

    /** A master key from base64 of 32 bytes. */
    public static MasterKey fromBase64(String base64) {
        return decode(base64, "master key");
    }

    /** A new random master key (tests, and the CLI's key rotation). */
    public static MasterKey generate() {
        byte[] bytes = new byte[KEY_BYTES];
        RANDOM.nextBytes(bytes);
        return new MasterKey(bytes);
    }

    /**
     * Starts a rotation of a file-based key: writes {@code master.key.next} (0600) unless a rotation that was
     * interrupted left one, and from then on wraps under it. Returns false if the key came from the environment.
     */
    public boolean beginRotation() throws IOException {
        if (file == null) {
            return false;
        }
        createFile(nextFile(file));
        reread();
        return true;
    }

    /** Ends a rotation: the next key replaces the old one, which no longer opens anything. */
    public void completeRotation() throws IOException {
        if (file == null) {
            return;
        }
        Path next = nextFile(file);
        if (Files.exists(next)) {
            Files.move(next, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            AtomicFiles.syncDirectory(file.toAbsolutePath().getParent());
        }
        reread();
    }

    /** Whether more than one key is in play (a rotation has begun and not completed). */
    public boolean rotating() {
        refreshIfRotationBegan();
        return keys.length > 1;
    }

    /**
     * Re-wraps key material wrapped under any key in play so that it is under the current (wrapping) key;
     * null if it already is.
     */
    public byte[] rewrap(byte[] wrapped, byte[] associatedData) throws KeyException {
        refreshIfRotationBegan();
        if (unwrapWith(keys[0], wrapped, associatedData) != null) {
            return null;
        }
        byte[] material = unwrap(wrapped, associatedData);
        try {
            return wrap(material, associatedData);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    /** Encrypts key material; {@code associatedData} must be passed again, unchanged, to {@link #unwrap}. */
    public byte[] wrap(byte[] keyMaterial, byte[] associatedData) {
        refreshIfRotationBegan();
        SecretKeySpec key = keys[0];
        byte[] iv = new byte[IV_BYTES];
        RANDOM.nextBytes(iv);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", Providers.JDK_AES);
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(associatedData);
            byte[] sealed = cipher.doFinal(keyMaterial);
            return ByteBuffer.allocate(1 + IV_BYTES + sealed.length).put(FORMAT_V1).put(iv).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JDK", e);
        }
    }

    /**
     * Decrypts what {@link #wrap} produced.
     *
     * @throws KeyException if this is the wrong master key, the data was altered, or it belongs to other associated data
     */
    public byte[] unwrap(byte[] wrapped, byte[] associatedData) throws KeyException {
        if (wrapped.length < 1 + IV_BYTES + TAG_BITS / 8 || wrapped[0] != FORMAT_V1) {
            throw new KeyException("wrapped key has an unknown format (version byte "
                    + (wrapped.length > 0 ? wrapped[0] : "missing") + ")");
        }
        for (SecretKeySpec key : keys) {
            byte[] material = unwrapWith(key, wrapped, associatedData);
            if (material != null) {
                return material;
            }
        }
        // Another process may have rotated the key since we read it: follow it once.
        if (file != null && reread()) {
            for (SecretKeySpec key : keys) {
                byte[] material = unwrapWith(key, wrapped, associatedData);
                if (material != null) {
                    return material;
                }
            }
        }
        throw new KeyException("wrapped key does not decrypt with this master key (wrong master key, "
                + "altered file, or key moved between entries)");
    }

    private static byte[] unwrapWith(SecretKeySpec key, byte[] wrapped, byte[] associatedData) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", Providers.JDK_AES);
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, wrapped, 1, IV_BYTES));
            cipher.updateAAD(associatedData);
            return cipher.doFinal(wrapped, 1 + IV_BYTES, wrapped.length - 1 - IV_BYTES);
        } catch (AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JDK", e);
        }
    }

    /**
     * Follows a rotation done by another process before wrapping anything: its next key once it exists, the new
     * key file once it completed. Without this a running server would wrap a key it creates under a master key
     * that is about to be, or already was, replaced. Costs two stats, and wraps are rare (new keys only).
     */
    private void refreshIfRotationBegan() {
        if (file == null) {
            return;
        }
        boolean nextExists = Files.exists(nextFile(file));
        java.nio.file.attribute.FileTime modified;
        try {
            modified = Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return;
        }
        if (nextExists != (keys.length > 1) || !modified.equals(fileModified)) {
            reread();
        }
    }

    private boolean reread() {
        try {
            fileModified = Files.getLastModifiedTime(file);
            SecretKeySpec[] fresh = readKeys(file);
            boolean changed = !Arrays.equals(fresh, keys);
            keys = fresh;
            return changed;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    /** The key file's key, preceded by the next key when a rotation is under way. */
    private static SecretKeySpec[] readKeys(Path file) throws IOException {
        SecretKeySpec current = decode(Files.readString(file, StandardCharsets.US_ASCII), file.toAbsolutePath().toString()).keys[0];
        Path next = nextFile(file);
        if (Files.exists(next)) {
            try {
                return new SecretKeySpec[] {decode(Files.readString(next, StandardCharsets.US_ASCII), next.toString()).keys[0], current};
            } catch (java.nio.file.NoSuchFileException completedMeanwhile) {
                return readKeys(file);
            }
        }
        return new SecretKeySpec[] {current};
    }

    /** Base64 of the key, for the one-time display/export by an admin command. Never log it. */
    public String toBase64() {
        return Base64.getEncoder().encodeToString(keys[0].getEncoded());
    }

    @Override
    public String toString() {
        return "MasterKey[redacted]";
    }

    private static MasterKey decode(String base64, String source) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is not valid base64 — expected base64 of "
                    + KEY_BYTES + " random bytes, e.g. from `openssl rand -base64 32`");
        }
        if (bytes.length != KEY_BYTES) {
            int length = bytes.length;
            Arrays.fill(bytes, (byte) 0);
            throw new IllegalArgumentException(source + " decodes to " + length + " bytes, expected "
                    + KEY_BYTES + " — generate one with `openssl rand -base64 32`");
        }
        return new MasterKey(bytes);
    }

    /**
     * Creates the key file with 0600 set at creation and the content in place before the name appears,
     * so a second process starting at the same moment reads either nothing or the whole key.
     *
     * @return false if another process created it first
     */
    private static boolean createFile(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        AtomicFiles.createDirectories(dir, AtomicFiles.OWNER_ONLY_DIR);
        byte[] bytes = new byte[KEY_BYTES];
        RANDOM.nextBytes(bytes);
        byte[] text = (Base64.getEncoder().encodeToString(bytes) + "\n").getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(bytes, (byte) 0);
        try {
            return AtomicFiles.createIfAbsent(file, text, AtomicFiles.OWNER_ONLY);
        } finally {
            Arrays.fill(text, (byte) 0);
        }
    }

    private static void warnIfOthersCanRead(Path file, Consumer<String> warn) throws IOException {
        if (!AtomicFiles.isPosix(file.toAbsolutePath().getParent())) {
            return;
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
        if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
            warn.accept("Master key file " + file.toAbsolutePath() + " is readable by other users; run `chmod 600 "
                    + file.toAbsolutePath() + "`");
        }
    }
}
