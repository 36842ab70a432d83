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
 */
public final class MasterKey {
    /** The environment variable that, when set, takes precedence over the file. */
    public static final String ENV_VARIABLE = "VEIL_MASTER_KEY";

    private static final int KEY_BYTES = 32;
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final byte FORMAT_V1 = 1;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    private MasterKey(byte[] keyBytes) {
        this.key = new SecretKeySpec(keyBytes, "AES");
        Arrays.fill(keyBytes, (byte) 0);
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
            return decode(fromEnv, ENV_VARIABLE);
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
            String text = Files.readString(file, StandardCharsets.US_ASCII);
            return decode(text, file.toAbsolutePath().toString());
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

    /** Encrypts key material; {@code associatedData} must be passed again, unchanged, to {@link #unwrap}. */
    public byte[] wrap(byte[] keyMaterial, byte[] associatedData) {
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
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", Providers.JDK_AES);
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, wrapped, 1, IV_BYTES));
            cipher.updateAAD(associatedData);
            return cipher.doFinal(wrapped, 1 + IV_BYTES, wrapped.length - 1 - IV_BYTES);
        } catch (AEADBadTagException e) {
            throw new KeyException("wrapped key does not decrypt with this master key (wrong master key, "
                    + "altered file, or key moved between entries)", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JDK", e);
        }
    }

    /** Base64 of the key, for the one-time display/export by an admin command. Never log it. */
    public String toBase64() {
        return Base64.getEncoder().encodeToString(key.getEncoded());
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
