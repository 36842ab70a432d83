package dev.veil.crypto;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Locale;

/** The key algorithm for new S/MIME keys, from the policy's {@code keys.smimeAlgorithm}. */
record KeyAlgorithm(int rsaBits) {
    static final KeyAlgorithm DEFAULT = new KeyAlgorithm(3072);

    static KeyAlgorithm parse(String name) throws KeyException {
        if (name == null || name.isBlank()) {
            return DEFAULT;
        }
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "rsa-2048" -> new KeyAlgorithm(2048);
            case "rsa-3072" -> new KeyAlgorithm(3072);
            case "rsa-4096" -> new KeyAlgorithm(4096);
            // EC keys need key-agreement recipients (ECDH) in CMS, which the sealer does not write yet.
            case "ec-p256", "ec-p384" -> throw new KeyException("keys.smimeAlgorithm '" + name
                    + "' is not supported by the S/MIME key store yet — use rsa-3072 or rsa-4096");
            default -> throw new KeyException("keys.smimeAlgorithm '" + name + "' is not supported — use rsa-3072 or rsa-4096");
        };
    }

    KeyPair generate() {
        try {
            // The JDK's RSA key generation; Bouncy Castle's is no faster and the key is provider-neutral either way.
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(rsaBits, new SecureRandom());
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("RSA is not available in this JDK", e);
        }
    }
}
