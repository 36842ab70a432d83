package dev.veil.crypto;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.util.io.pem.PemHeader;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * The on-disk form of a {@link KeyEntry}: PEM text an admin can read with openssl (the certificate comes
 * first, so {@code openssl x509 -in ca.pem -noout -text} works), followed by the wrapped private key.
 */
final class KeyEntryFile {
    static final String WRAPPED_KEY_TYPE = "VEIL WRAPPED PRIVATE KEY";

    private KeyEntryFile() {
    }

    static byte[] encode(KeyEntry entry) {
        StringWriter text = new StringWriter();
        try (PemWriter pem = new PemWriter(text)) {
            pem.writeObject(new PemObject("CERTIFICATE", entry.certificate().getEncoded()));
            pem.writeObject(new PemObject(WRAPPED_KEY_TYPE, List.of(
                    new PemHeader("Key-Id", entry.id()),
                    new PemHeader("Wrapping", "AES-256-GCM under the Veil master key, v1")),
                    entry.wrappedKey()));
        } catch (IOException | CertificateException e) {
            throw new IllegalStateException("cannot encode key entry " + entry.id(), e);
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads an entry; {@code expectedId} comes from where the file is, not from its content. */
    static KeyEntry decode(byte[] content, String expectedId, KeyKind kind, Path source) throws KeyException {
        try (PemReader pem = new PemReader(new InputStreamReader(new ByteArrayInputStream(content), StandardCharsets.US_ASCII))) {
            PemObject certificatePem = pem.readPemObject();
            PemObject keyPem = pem.readPemObject();
            if (certificatePem == null || !"CERTIFICATE".equals(certificatePem.getType())
                    || keyPem == null || !WRAPPED_KEY_TYPE.equals(keyPem.getType())) {
                throw new KeyException("key file " + source + " is damaged: expected a CERTIFICATE and a "
                        + WRAPPED_KEY_TYPE + " block — restore it from backup");
            }
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(certificatePem.getContent()));
            return new KeyEntry(expectedId, kind, certificate, Fingerprints.sha256(certificate), keyPem.getContent());
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new KeyException("key file " + source + " is damaged (" + e.getMessage() + ") — restore it from backup", e);
        }
    }
}
