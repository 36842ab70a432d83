package dev.veil.crypto;

import java.security.Provider;
import java.security.Security;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The JCA providers Veil uses, chosen per job: Bouncy Castle for certificates, CMS structures and
 * PKCS#12; the JDK's SunJCE for bulk AES because Bouncy Castle's AES is some 60 times slower.
 */
final class Providers {
    /** Registered once, so names resolve; we still always pass the object to setProvider. */
    static final Provider BC = register();

    /** The JDK's AES (AES-NI intrinsics). */
    static final String JDK_AES = "SunJCE";

    private Providers() {
    }

    private static synchronized Provider register() {
        Provider existing = Security.getProvider(BouncyCastleProvider.PROVIDER_NAME);
        if (existing != null) {
            return existing;
        }
        Provider bc = new BouncyCastleProvider();
        Security.addProvider(bc);
        return bc;
    }
}
