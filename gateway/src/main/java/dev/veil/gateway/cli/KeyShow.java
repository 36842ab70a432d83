package dev.veil.gateway.cli;

import dev.veil.crypto.DistinguishedNames;
import dev.veil.crypto.ExternalKey;
import dev.veil.crypto.ExternalKeys;
import dev.veil.crypto.KeyException;
import dev.veil.crypto.KeyMissingException;
import dev.veil.crypto.OpenPgpKeys;
import dev.veil.crypto.VeilKeys;
import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.core.KeyService;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code veil keys show ADDRESS|FINGERPRINT}: every key {@code veil keys list} shows for it — Veil's own (users',
 * escrow, CA; S/MIME and OpenPGP; current and retired) and imported ones — found by address, or by a fingerprint as
 * listed (or a unique prefix of at least 8 hex digits).
 */
final class KeyShow {
    private static final int SHORTEST_PREFIX = 8;

    private KeyShow() {
    }

    /** One description per key, own keys first; {@link KeyMissingException} if there is none. */
    static List<Map<String, Object>> find(String query, VeilConfiguration config, ExternalKeys external)
            throws KeyException {
        List<Map<String, Object>> rows = new ArrayList<>();
        // Veil's own keys only if the store exists: opening it without a master key would create one.
        if (KeysCommand.ownKeysExist(config.dataPath())) {
            VeilKeys smime = KeyService.openKeys(config.dataPath(), System.getenv());
            OpenPgpKeys openpgp = KeyService.openOpenPgpKeys(config.dataPath(), System.getenv());
            for (VeilKeys.KeyInfo k : smime.list()) {
                if (matches(k, query)) {
                    rows.add(describe(k, certificate(smime, k)));
                }
            }
            Map<String, OpenPgpKeys.KeyDetails> details = null;
            for (VeilKeys.KeyInfo k : openpgp.list()) {
                if (matches(k, query)) {
                    details = details == null ? openpgp.details() : details;
                    Map<String, Object> row = describe(k, Optional.empty());
                    OpenPgpKeys.KeyDetails detail = details.get(k.fingerprint());
                    if (detail != null) { // creation time and algorithms, as an imported OpenPGP key shows them
                        row.put("notBefore", detail.created().toString());
                        row.put("algorithm", detail.algorithm());
                    }
                    rows.add(row);
                }
            }
        }
        try {
            for (ExternalKey k : external.show(query)) {
                rows.add(KeysCommand.describe(k));
            }
        } catch (KeyMissingException e) {
            if (rows.isEmpty()) {
                // neither kind: say so, not only "no external key" (show covers Veil's own keys too)
                throw new KeyMissingException("no key for " + query.strip() + ": Veil has issued none and none is"
                        + " imported (veil keys list shows every key)");
            }
        }
        long fingerprints = rows.stream().map(r -> r.get("fingerprint")).distinct().count();
        if (!query.contains("@") && fingerprints > 1) {
            throw new KeyException(query + " is the start of " + fingerprints + " fingerprints: give more digits");
        }
        return rows;
    }

    private static boolean matches(VeilKeys.KeyInfo key, String query) {
        if (query.contains("@")) {
            return address(key).map(a -> a.equalsIgnoreCase(query.strip())).orElse(false);
        }
        String hex = query.replaceAll("[\\s:]", "").toLowerCase(Locale.ROOT);
        return hex.length() >= SHORTEST_PREFIX && key.fingerprint().startsWith(hex);
    }

    /** A user key's address: the subject of an S/MIME user key, the {@code <address>} of an OpenPGP user id. */
    private static Optional<String> address(VeilKeys.KeyInfo key) {
        String subject = key.subject();
        if (key.kind().equals("user")) {
            return Optional.of(subject);
        }
        if (key.kind().equals("openpgp-user")) {
            int open = subject.lastIndexOf('<');
            return Optional.of(open >= 0 && subject.endsWith(">") ? subject.substring(open + 1, subject.length() - 1)
                    : subject);
        }
        return Optional.empty();
    }

    /** The current certificate of a listed S/MIME key (retired ones are listed without theirs). */
    private static Optional<X509Certificate> certificate(VeilKeys keys, VeilKeys.KeyInfo key) throws KeyException {
        if (!key.status().equals("current")) {
            return Optional.empty();
        }
        Optional<X509Certificate> certificate = switch (key.kind()) {
            case "user" -> keys.findUserCertificate(key.subject());
            case "escrow" -> Optional.of(keys.escrowCertificate());
            case "ca" -> Optional.of(keys.caCertificate());
            default -> Optional.empty();
        };
        return certificate.filter(c -> dev.veil.crypto.Fingerprints.sha256(c).equals(key.fingerprint()));
    }

    /** The fields of an imported key's description (KeysCommand.describe), as far as Veil's own keys have them. */
    private static Map<String, Object> describe(VeilKeys.KeyInfo key, Optional<X509Certificate> certificate) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("kind", key.kind());
        row.put("fingerprint", key.fingerprint());
        row.put("addresses", address(key).map(List::of).orElse(List.of()));
        row.put("subject", certificate.map(c -> DistinguishedNames.readable(c.getSubjectX500Principal()))
                .orElse(key.subject()));
        row.put("issuer", certificate.map(c -> DistinguishedNames.readable(c.getIssuerX500Principal())).orElse(null));
        row.put("notBefore", certificate.map(c -> c.getNotBefore().toInstant().toString()).orElse(null));
        row.put("notAfter", KeysCommand.notAfter(key.notAfter()));
        row.put("algorithm", certificate.map(c -> c.getPublicKey().getAlgorithm()).orElse(null));
        row.put("status", key.status());
        return row;
    }
}
