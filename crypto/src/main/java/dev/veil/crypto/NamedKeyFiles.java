package dev.veil.crypto;

import dev.veil.config.Action;
import dev.veil.config.KeySettings;
import dev.veil.config.NamedKey;
import dev.veil.config.NamedKeyCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/**
 * The keys a policy names under {@code keys.named} (an archive, a legal-hold mailbox), read from the files it points
 * to: a relative path is under the data directory. Read at every use, so a replaced file counts from the next message,
 * and checked as strictly as an imported recipient key (expiry, key usage, strength; revocation and encryption subkey
 * for OpenPGP). A key that fails is a {@link KeyException}: the message waits, it is never sent without that key.
 */
public final class NamedKeyFiles implements NamedKeyCheck {
    private final Path dataDir;

    public NamedKeyFiles(Path dataDir) {
        this.dataDir = dataDir;
    }

    /** The definition of {@code name} in the policy in force; a name it does not define is a missing key. */
    static NamedKey definition(KeySettings settings, String name) throws KeyMissingException {
        NamedKey key = settings.named().get(name);
        if (key == null) {
            throw new KeyMissingException("named key '" + name + "' is not defined under keys.named in the policy in force");
        }
        return key;
    }

    /** Where the key's file is. */
    public Path path(NamedKey key) {
        return dataDir.resolve(key.file());
    }

    /** The S/MIME certificate of an {@code smime} named key: the file's one end-entity certificate. */
    public X509Certificate certificate(NamedKey key) throws KeyException {
        requireFormat(key, Action.Format.SMIME);
        ExternalKeyFiles.Contents contents = read(key);
        List<X509Certificate> own = contents.certificates();
        if (own.isEmpty()) {
            throw new KeyException(describe(key) + " holds an OpenPGP key, not an X.509 certificate — an OpenPGP key"
                    + " needs 'format: openpgp' and 'public-key:'");
        }
        if (own.size() > 1) {
            // a chain may come along with the certificate; only the end-entity one is encrypted to (a lone
            // self-signed archive certificate often says CA:TRUE, as openssl req -x509 makes it, so that is kept)
            own = own.stream().filter(c -> c.getBasicConstraints() < 0).toList();
        }
        if (own.size() != 1) {
            throw new KeyException(describe(key) + " holds " + contents.certificates().size()
                    + " certificates — keep only the one to encrypt to in it");
        }
        // A named key is addressed by its name, so the certificate need not carry an email address.
        String refusal = ExternalKeys.certificateRefusal(own.get(0), List.of(key.name()), Instant.now());
        if (refusal != null) {
            throw new KeyException(describe(key) + ": " + refusal);
        }
        return own.get(0);
    }

    /** The OpenPGP public key of an {@code openpgp} named key, with a usable encryption key. */
    public PGPPublicKeyRing publicKey(NamedKey key) throws KeyException {
        requireFormat(key, Action.Format.OPENPGP);
        ExternalKeyFiles.Contents contents = read(key);
        if (contents.rings().isEmpty()) {
            throw new KeyException(describe(key) + " holds an X.509 certificate, not an OpenPGP key — a certificate"
                    + " needs 'format: smime' and 'certificate:'");
        }
        if (contents.rings().size() > 1) {
            throw new KeyException(describe(key) + " holds " + contents.rings().size()
                    + " OpenPGP keys — keep only the one to encrypt to in it");
        }
        PGPPublicKeyRing ring = contents.rings().get(0);
        OpenPgpKeyMaterial.encryptionKey(ring, describe(key)); // revoked, expired or no encryption key: refused now
        return ring;
    }

    @Override
    public Optional<String> problem(NamedKey key) {
        try {
            if (key.format() == Action.Format.SMIME) {
                certificate(key);
            } else {
                publicKey(key);
            }
            return Optional.empty();
        } catch (KeyException e) {
            return Optional.of(e.getMessage());
        }
    }

    private ExternalKeyFiles.Contents read(NamedKey key) throws KeyException {
        Path file = path(key);
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new KeyMissingException(describe(key) + ": " + file.toAbsolutePath() + " does not exist");
        } catch (IOException e) {
            throw new KeyException(describe(key) + ": cannot read " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        try {
            return ExternalKeyFiles.read(content, file.toAbsolutePath().toString());
        } catch (KeyException e) {
            String why = e.getMessage().equals(ExternalKeyFiles.PRIVATE_KEY_REFUSAL)
                    ? " holds a private key — give Veil only the " + (key.format() == Action.Format.SMIME
                            ? "certificate" : "public key") + ", and keep the private key elsewhere"
                    : ": " + e.getMessage();
            throw new KeyException(describe(key) + why, e);
        }
    }

    private static void requireFormat(NamedKey key, Action.Format format) throws KeyException {
        if (key.format() != format) {
            throw new KeyException("named key '" + key.name() + "' is " + spelled(key.format()) + " but the message is"
                    + " encrypted with " + spelled(format));
        }
    }

    private String describe(NamedKey key) {
        return "named key '" + key.name() + "' (" + key.file() + ")";
    }

    private static String spelled(Action.Format format) {
        return format == Action.Format.SMIME ? "smime" : "openpgp";
    }
}
