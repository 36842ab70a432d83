package dev.veil.crypto;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.util.io.pem.PemHeader;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * One OpenPGP key of the key store: the public key ring (certificate) and the secret key ring, unprotected by
 * any passphrase but wrapped under the {@link MasterKey}. The wrapping's associated data binds the entry id and
 * the primary key's fingerprint, so a wrapped key moved to another entry, or paired with another public key,
 * does not unwrap.
 *
 * <p>On disk: the armored public key block ({@code gpg --show-keys} reads it) followed by the wrapped secret
 * ring as a PEM block.
 *
 * @param id          {@code escrow} or {@code user:<address>}
 * @param fingerprint the primary key's v4 fingerprint, lower-case hex
 */
record OpenPgpEntry(String id, KeyKind kind, PGPPublicKeyRing publicRing, String fingerprint, byte[] wrappedKey) {
    static final String WRAPPED_TYPE = "VEIL WRAPPED OPENPGP SECRET KEY";
    private static final String PUBLIC_TYPE = "PGP PUBLIC KEY BLOCK";

    /** Wraps the (unprotected) secret ring for a new entry. */
    static OpenPgpEntry create(String id, KeyKind kind, PGPSecretKeyRing secretRing, MasterKey masterKey) {
        PGPPublicKeyRing publicRing = OpenPgpKeyMaterial.publicRing(secretRing);
        String fingerprint = OpenPgpKeyMaterial.fingerprint(publicRing.getPublicKey());
        byte[] encoded = null;
        try {
            encoded = secretRing.getEncoded();
            return new OpenPgpEntry(id, kind, publicRing, fingerprint, masterKey.wrap(encoded, associatedData(id, fingerprint)));
        } catch (IOException e) {
            throw new IllegalStateException("encoding an OpenPGP key in memory failed", e);
        } finally {
            if (encoded != null) {
                Arrays.fill(encoded, (byte) 0);
            }
        }
    }

    /**
     * The secret ring; also checks that it belongs to the public ring in the file (a swapped public block would
     * otherwise receive mail the escrow key cannot read).
     */
    PGPSecretKeyRing secretRing(MasterKey masterKey) throws KeyException {
        byte[] encoded = masterKey.unwrap(wrappedKey, associatedData(id, fingerprint));
        try {
            PGPSecretKeyRing ring = OpenPgpKeyMaterial.parseSecret(encoded);
            if (!Arrays.equals(OpenPgpKeyMaterial.publicRing(ring).getEncoded(), publicRing.getEncoded())) {
                throw new KeyException("the public key of OpenPGP entry '" + id + "' does not match its secret key — "
                        + "the file was altered; restore it from backup");
            }
            return ring;
        } catch (IOException e) {
            throw new KeyException("secret key of OpenPGP entry '" + id + "' is not a valid key ring: " + e.getMessage(), e);
        } finally {
            Arrays.fill(encoded, (byte) 0);
        }
    }

    byte[] encodeFile() {
        StringWriter text = new StringWriter();
        try {
            text.write(ArmorOutputStream.armor(publicRing.getEncoded(), PUBLIC_TYPE));
            try (PemWriter pem = new PemWriter(text)) {
                pem.writeObject(new PemObject(WRAPPED_TYPE, List.of(
                        new PemHeader("Key-Id", id),
                        new PemHeader("Fingerprint", fingerprint),
                        new PemHeader("Wrapping", "AES-256-GCM under the Veil master key, v1")),
                        wrappedKey));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode OpenPGP entry " + id, e);
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads an entry; {@code expectedId} comes from where the file is, not from its content. */
    static OpenPgpEntry decode(byte[] content, String expectedId, KeyKind kind, Path source) throws KeyException {
        String text = new String(content, StandardCharsets.US_ASCII);
        int wrappedStart = text.indexOf("-----BEGIN " + WRAPPED_TYPE + "-----");
        if (wrappedStart < 0) {
            throw new KeyException("OpenPGP key file " + source + " is damaged: no " + WRAPPED_TYPE
                    + " block — restore it from backup");
        }
        try (ArmoredInputStream armored = new ArmoredInputStream(new ByteArrayInputStream(content, 0, wrappedStart));
             PemReader pem = new PemReader(new InputStreamReader(
                     new ByteArrayInputStream(content, wrappedStart, content.length - wrappedStart), StandardCharsets.US_ASCII))) {
            PGPPublicKeyRing publicRing = new PGPPublicKeyRing(armored, new BcKeyFingerprintCalculator());
            PemObject wrapped = pem.readPemObject();
            if (wrapped == null || !WRAPPED_TYPE.equals(wrapped.getType())) {
                throw new KeyException("OpenPGP key file " + source + " is damaged: unreadable " + WRAPPED_TYPE
                        + " block — restore it from backup");
            }
            String fingerprint = OpenPgpKeyMaterial.fingerprint(publicRing.getPublicKey());
            return new OpenPgpEntry(expectedId, kind, publicRing, fingerprint, wrapped.getContent());
        } catch (IOException | RuntimeException e) {
            throw new KeyException("OpenPGP key file " + source + " is damaged (" + e.getMessage()
                    + ") — restore it from backup", e);
        }
    }

    /** This entry with its key re-wrapped under the master key's current key, or null if it already is. */
    OpenPgpEntry rewrapped(MasterKey masterKey) throws KeyException {
        byte[] again = masterKey.rewrap(wrappedKey, associatedData(id, fingerprint));
        return again == null ? null : new OpenPgpEntry(id, kind, publicRing, fingerprint, again);
    }

    private static byte[] associatedData(String id, String fingerprint) {
        return ("veil-openpgp-entry-v1\0" + id + "\0" + fingerprint).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "OpenPgpEntry[" + id + ", " + fingerprint + "]";
    }
}
