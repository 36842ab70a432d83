package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.config.ContentCipher;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * S/MIME to EC certificates on every curve of 256 bits or more that openssl makes and {@code veil keys import} takes,
 * not only NIST P-256/P-384: the JDK's EC provider has no brainpool or secp256k1 curves since JDK 16, so the
 * ephemeral key must come from elsewhere. openssl decrypts each message.
 */
class OpenSslEcCurvesTest {
    static final String CONTENT = "Subject: curve\r\n\r\nH\u00e9llo\r\n";

    @TempDir
    Path work;

    @BeforeEach
    void openssl() {
        OpenSsl.assumeInstalled();
    }

    @ParameterizedTest
    @ValueSource(strings = {"prime256v1", "secp384r1", "secp521r1", "brainpoolP256r1", "brainpoolP384r1",
            "brainpoolP512r1", "secp256k1"})
    void opensslDecryptsWhatVeilEncryptedToTheCurve(String curve) throws Exception {
        OpenSsl.run(work, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:" + curve, "-nodes",
                "-keyout", "key.pem", "-out", "cert.pem", "-days", "30", "-subj", "/CN=" + curve,
                "-addext", "subjectAltName=email:ec@partner.example");
        X509Certificate certificate = ExternalKeyFiles.readStoredCertificate(Files.readAllBytes(work.resolve("cert.pem")));
        assertThat(ExternalKeys.certificateRefusal(certificate, List.of("ec@partner.example"), java.time.Instant.now()))
                .isNull();

        for (ContentCipher cipher : ContentCipher.values()) {
            try (OutputStream der = Files.newOutputStream(work.resolve("sealed.der"));
                 OutputStream plain = CmsEncryption.open(cipher, List.of(certificate), der)) {
                plain.write(CONTENT.getBytes(StandardCharsets.UTF_8));
            }
            byte[] opened = OpenSsl.run(work, "cms", "-decrypt", "-inform", "DER", "-in", "sealed.der", "-inkey", "key.pem");
            assertThat(new String(opened, StandardCharsets.UTF_8)).as(curve + " " + cipher).isEqualTo(CONTENT);
        }
    }
}
