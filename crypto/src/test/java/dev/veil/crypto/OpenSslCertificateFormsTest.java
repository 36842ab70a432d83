package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.crypto.ImportedKey.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificates in forms openssl writes that {@link ExternalKeysTest} does not cover. */
class OpenSslCertificateFormsTest {
    @TempDir
    Path work;
    ExternalKeys external;

    @BeforeEach
    void store() throws Exception {
        OpenSsl.assumeInstalled();
        external = ExternalKeys.open(work.resolve("keys"));
    }

    /** {@code openssl x509 -trustout} writes the certificate followed by OpenSSL's trust settings. */
    @Test
    void importsATrustedCertificateBlock() throws Exception {
        certificate("bob", "rsa:2048", "bob@partner.example");
        OpenSsl.run(work, "x509", "-in", "bob.pem", "-trustout", "-addtrust", "emailProtection", "-out", "trusted.pem");

        List<ImportedKey> results = external.importFile(work.resolve("trusted.pem"));

        assertThat(results).singleElement().satisfies(k -> {
            assertThat(k.status()).as(k.reason()).isEqualTo(Status.IMPORTED);
            assertThat(k.addresses()).containsExactly("bob@partner.example");
        });
    }

    /** A PEM file saved by a Windows editor starts with a UTF-8 byte order mark; openssl x509 reads it. */
    @Test
    void importsPemWithAByteOrderMark() throws Exception {
        certificate("carol", "rsa:2048", "carol@partner.example");
        byte[] pem = java.nio.file.Files.readAllBytes(work.resolve("carol.pem"));
        byte[] marked = new byte[pem.length + 3];
        marked[0] = (byte) 0xEF;
        marked[1] = (byte) 0xBB;
        marked[2] = (byte) 0xBF;
        System.arraycopy(pem, 0, marked, 3, pem.length);
        java.nio.file.Files.write(work.resolve("bom.pem"), marked);
        OpenSsl.run(work, "x509", "-in", "bom.pem", "-noout");

        List<ImportedKey> results = external.importFile(work.resolve("bom.pem"));

        assertThat(results).singleElement().satisfies(k -> assertThat(k.status()).isEqualTo(Status.IMPORTED));
    }

    /**
     * An id-RSASSA-PSS key may only verify PSS signatures (RFC 4055 1.2): openssl refuses to encrypt to it and cannot
     * decrypt with it, so mail Veil encrypted to it could never be read.
     */
    @Test
    void refusesAnRsaPssKeyWhichMayOnlySign() throws Exception {
        certificate("pss", "rsa-pss", "pss@partner.example");

        List<ImportedKey> results = external.importFile(work.resolve("pss.pem"));

        assertThat(results).singleElement().satisfies(k -> {
            assertThat(k.status()).isEqualTo(Status.REFUSED);
            assertThat(k.reason()).contains("RSASSA-PSS").contains("only for signatures");
        });
        assertThat(external.list()).isEmpty();
    }

    /** One imported by an earlier version, before the refusal above, is not encrypted to either: fail closed. */
    @Test
    void anRsaPssCertificateAlreadyInTheStoreIsNotUsed() throws Exception {
        certificate("pss", "rsa-pss", "pss@partner.example");
        X509Certificate pss = ExternalKeyFiles.readStoredCertificate(Files.readAllBytes(work.resolve("pss.pem")));
        String stem = Addresses.fileName("pss@partner.example").replaceAll("\\.pem$", "");
        Files.copy(work.resolve("pss.pem"), work.resolve("keys").resolve("external").resolve("smime")
                .resolve(stem + "-" + Fingerprints.sha256(pss) + ".pem"));

        assertThatThrownBy(() -> external.smimeCertificate("pss@partner.example")).isInstanceOf(KeyMissingException.class)
                .hasMessageContaining("RSASSA-PSS");
    }

    private void certificate(String name, String key, String address) throws Exception {
        OpenSsl.run(work, "req", "-x509", "-newkey", key, "-nodes", "-keyout", name + ".key", "-out", name + ".pem",
                "-days", "30", "-subj", "/CN=" + name, "-addext", "subjectAltName=email:" + address);
    }
}
