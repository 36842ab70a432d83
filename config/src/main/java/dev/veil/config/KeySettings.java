package dev.veil.config;

import java.time.Period;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The policy's {@code keys} section.
 *
 * @param escrow            whether an organisation escrow key exists and may be named in {@code to}
 * @param smimeAlgorithm    key algorithm for new S/MIME keys: {@code rsa-2048|rsa-3072|rsa-4096|ec-p256|ec-p384}
 * @param issueUserCertificates whether Veil issues a certificate for a protected recipient on first need;
 *                          when false a recipient without a certificate is a missing key (fail closed)
 * @param formats           formats in use; rules may only encrypt with these
 * @param openpgpAlgorithm  key algorithm for new OpenPGP keys: {@code rsa-2048|rsa-3072|rsa-4096|ed25519}
 *                          ({@code ed25519}: Ed25519 primary key with an X25519 encryption subkey)
 * @param caName            subject common name of the organisation CA Veil runs
 * @param caValidity        how long the organisation CA certificate is valid
 * @param rotation          how often user keys are replaced by new ones
 * @param keepOldKeys       how long replaced keys are kept for decryption; empty means forever
 * @param named             keys rules may name in {@code to}, by name
 * @param webKeyDirectory   whether OpenPGP keys of recipients Veil has no key for are looked up in their domain's
 *                          Web Key Directory ({@code keys.openpgp.web-key-directory})
 */
public record KeySettings(
        boolean escrow,
        String smimeAlgorithm,
        boolean issueUserCertificates,
        List<Action.Format> formats,
        String openpgpAlgorithm,
        String caName,
        Period caValidity,
        Period rotation,
        Optional<Period> keepOldKeys,
        Map<String, NamedKey> named,
        boolean webKeyDirectory) {

    public static final String DEFAULT_SMIME_ALGORITHM = "rsa-3072";
    public static final String DEFAULT_OPENPGP_ALGORITHM = "ed25519";
    public static final Period DEFAULT_CA_VALIDITY = Period.ofYears(10);
    public static final Period DEFAULT_ROTATION = Period.ofYears(1);

    public KeySettings {
        formats = List.copyOf(formats);
        named = Map.copyOf(named);
    }

    /** Without Web Key Directory lookups. */
    public KeySettings(boolean escrow, String smimeAlgorithm, boolean issueUserCertificates, List<Action.Format> formats,
                       String openpgpAlgorithm, String caName, Period caValidity, Period rotation,
                       Optional<Period> keepOldKeys, Map<String, NamedKey> named) {
        this(escrow, smimeAlgorithm, issueUserCertificates, formats, openpgpAlgorithm, caName, caValidity, rotation,
                keepOldKeys, named, false);
    }

    /** The original shape: S/MIME only, defaults for everything else. */
    public KeySettings(boolean escrow, String smimeAlgorithm, boolean issueUserCertificates) {
        this(escrow, smimeAlgorithm, issueUserCertificates, List.of(Action.Format.SMIME), DEFAULT_OPENPGP_ALGORITHM,
                "Veil organisation CA", DEFAULT_CA_VALIDITY, DEFAULT_ROTATION, Optional.empty(), Map.of());
    }
}
