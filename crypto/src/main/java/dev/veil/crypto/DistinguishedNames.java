package dev.veil.crypto;

import java.util.Map;
import javax.security.auth.x500.X500Principal;

/**
 * Certificate subjects and issuers as shown to admins: RFC 2253, but with the emailAddress attribute named
 * {@code E=alice@example.com} — the JDK knows no keyword for it and prints {@code 1.2.840.113549.1.9.1=#16…}.
 */
public final class DistinguishedNames {
    private static final Map<String, String> KEYWORDS = Map.of("1.2.840.113549.1.9.1", "E");

    private DistinguishedNames() {
    }

    public static String readable(X500Principal name) {
        return name.getName(X500Principal.RFC2253, KEYWORDS);
    }
}
