package dev.veil.crypto;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.SecureRandom;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * A private key as an {@code ENCRYPTED PRIVATE KEY} PEM (PKCS#8 with PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC), the
 * form {@code openssl pkey -passin} and {@code openssl cms -inkey … -passin} read.
 */
final class EncryptedPkcs8 {
    /** OWASP's 2023 figure for PBKDF2-HMAC-SHA256: the file may be stolen, and it is opened rarely. */
    static final int ITERATIONS = 600_000;

    private EncryptedPkcs8() {
    }

    static byte[] pem(PrivateKey key, char[] password) throws KeyException {
        try {
            JceOpenSSLPKCS8EncryptorBuilder encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                    .setProvider(Providers.BC)
                    .setPRF(PKCS8Generator.PRF_HMACSHA256)
                    .setIterationCount(ITERATIONS)
                    .setRandom(new SecureRandom())
                    .setPassword(password);
            StringWriter out = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
                writer.writeObject(new JcaPKCS8Generator(key, encryptor.build()).generate());
            }
            return out.toString().getBytes(StandardCharsets.US_ASCII);
        } catch (OperatorCreationException | IOException e) {
            throw new KeyException("cannot encrypt the private key: " + e.getMessage(), e);
        }
    }
}
