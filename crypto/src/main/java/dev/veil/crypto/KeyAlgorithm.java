package dev.veil.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.Locale;

/**
 * The key algorithm for new S/MIME keys (CA, escrow, users), from the policy's {@code keys.smime.algorithm}: RSA
 * (key transport with RSA-OAEP) or an elliptic curve (key agreement, ECDH as in RFC 5753).
 *
 * @param rsaBits RSA modulus size, or 0 for an EC key
 * @param curve   the JDK's curve name ({@code secp256r1}, {@code secp384r1}), or null for RSA
 */
record KeyAlgorithm(int rsaBits, String curve) {
    static final KeyAlgorithm DEFAULT = new KeyAlgorithm(3072, null);

    static KeyAlgorithm parse(String name) throws KeyException {
        if (name == null || name.isBlank()) {
            return DEFAULT;
        }
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "rsa-2048" -> new KeyAlgorithm(2048, null);
            case "rsa-3072" -> new KeyAlgorithm(3072, null);
            case "rsa-4096" -> new KeyAlgorithm(4096, null);
            case "ec-p256" -> new KeyAlgorithm(0, "secp256r1");
            case "ec-p384" -> new KeyAlgorithm(0, "secp384r1");
            default -> throw new KeyException("keys.smime.algorithm '" + name
                    + "' is not supported — use rsa-3072, rsa-4096, ec-p256 or ec-p384");
        };
    }

    KeyPair generate() {
        try {
            // The JDK's generators (SunRsaSign, SunEC): Bouncy Castle's are no faster and the keys are
            // provider-neutral either way.
            if (curve != null) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec(curve), new SecureRandom());
                return generator.generateKeyPair();
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(rsaBits, new SecureRandom());
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException((curve != null ? curve : "RSA") + " is not available in this JDK", e);
        }
    }
}
