package dev.veil.gateway.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.config.Policy;
import dev.veil.crypto.KeyException;
import dev.veil.crypto.KeyMissingException;
import dev.veil.crypto.OpenPgpKeys;
import dev.veil.crypto.VeilKeys;
import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.core.KeyService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code veil keys rotate [ADDRESS]} and {@code veil keys revoke ADDRESS}. Both keep the old private key in the
 * key store's {@code retired/} directory, because mail it encrypted is in Exchange and must stay readable; a
 * running server notices the changed key files at the next message.
 */
final class KeyRotationCommand {
    private KeyRotationCommand() {
    }

    static int rotate(VeilConfiguration config, VeilKeys smime, Policy policy, String address, String format, boolean json,
                      ObjectMapper mapper) throws Exception {
        OpenPgpKeys openpgp = KeyService.openOpenPgpKeys(config.dataPath(), System.getenv());
        boolean wantSmime = !"openpgp".equals(format);
        boolean wantOpenPgp = !"smime".equals(format);
        List<Map<String, Object>> rows = new ArrayList<>();
        if (address != null) {
            boolean any = false;
            if (wantSmime && (smime.hasUserCertificate(address) || "smime".equals(format))) {
                rows.add(row("smime", smime.rotateUser(address, policy.keys())));
                any = true;
            }
            if (wantOpenPgp && (openpgp.hasUserKey(address) || "openpgp".equals(format))) {
                rows.add(row("openpgp", openpgp.rotateUser(address, policy.keys())));
                any = true;
            }
            if (!any) {
                throw new KeyMissingException("Veil holds no key of " + address + " to rotate (veil keys list shows which"
                        + " it has; imported keys are replaced with veil keys import)");
            }
        } else {
            if (wantSmime) {
                for (String user : users(smime.list(), "user")) {
                    rows.add(row("smime", smime.rotateUser(user, policy.keys())));
                }
                if (policy.keys().escrow()) {
                    rows.add(row("smime", smime.rotateEscrow(policy.keys())));
                }
            }
            if (wantOpenPgp) {
                for (String user : users(openpgp.list(), "openpgp-user")) {
                    rows.add(row("openpgp", openpgp.rotateUser(user, policy.keys())));
                }
                if (policy.keys().escrow() && openpgp.list().stream().anyMatch(k -> k.kind().equals("openpgp-escrow")
                        && k.status().equals("current"))) {
                    rows.add(row("openpgp", openpgp.rotateEscrow(policy.keys())));
                }
            }
        }
        List<String> owners = rows.stream().map(r -> (String) r.get("owner")).distinct().toList();
        KeysCommand.audit(config, "key-rotate", owners, rows.size() + " key(s) replaced: " + rows.stream()
                .map(r -> r.get("format") + " " + r.get("owner") + " " + r.get("replaced") + " -> " + r.get("fingerprint"))
                .reduce((a, b) -> a + ", " + b).orElse("none"));
        if (json) {
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
        } else {
            List<String[]> table = new ArrayList<>();
            for (Map<String, Object> r : rows) {
                table.add(new String[] {(String) r.get("format"), (String) r.get("owner"), String.valueOf(r.get("fingerprint")),
                        String.valueOf(r.get("replaced"))});
            }
            KeysCommand.table(new String[] {"FORMAT", "OWNER", "NEW FINGERPRINT", "REPLACED (KEPT FOR DECRYPTION)"}, table);
            System.out.println(rows.size() + " key(s) rotated");
        }
        return 0;
    }

    static int revoke(VeilConfiguration config, VeilKeys smime, Policy policy, String address, String format, boolean json,
                      ObjectMapper mapper) throws Exception {
        OpenPgpKeys openpgp = KeyService.openOpenPgpKeys(config.dataPath(), System.getenv());
        List<Map<String, Object>> rows = new ArrayList<>();
        if (!"openpgp".equals(format) && (smime.hasUserCertificate(address) || "smime".equals(format))) {
            String fingerprint = smime.revokeUser(address);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("format", "smime");
            row.put("owner", address);
            row.put("revoked", fingerprint);
            row.put("published", KeyService.keyDirectory(config.dataPath()).resolve("ca.crl").toString());
            rows.add(row);
        }
        if (!"smime".equals(format) && (openpgp.hasUserKey(address) || "openpgp".equals(format))) {
            String fingerprint = openpgp.findUserKey(address).map(r -> OpenPgpKeys.fingerprint(r.getPublicKey())).orElse(null);
            Path certificate = openpgp.revokeUser(address);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("format", "openpgp");
            row.put("owner", address);
            row.put("revoked", fingerprint);
            row.put("published", certificate.toString());
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new KeyMissingException("Veil holds no key of " + address + " to revoke (imported keys are removed with"
                    + " veil keys remove)");
        }
        KeysCommand.audit(config, "key-revoke", List.of(address), rows.stream()
                .map(r -> r.get("format") + " " + r.get("revoked")).reduce((a, b) -> a + ", " + b).orElse(""));
        if (json) {
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
        } else {
            List<String[]> table = new ArrayList<>();
            for (Map<String, Object> r : rows) {
                table.add(new String[] {(String) r.get("format"), (String) r.get("owner"), String.valueOf(r.get("revoked")),
                        (String) r.get("published")});
            }
            KeysCommand.table(new String[] {"FORMAT", "OWNER", "REVOKED FINGERPRINT", "PUBLISH"}, table);
            System.out.println(policy.keys().issueUserCertificates()
                    ? "the next message to " + address + " gets a new key" : "issuing is off: import a new key for " + address);
        }
        return 0;
    }

    private static Map<String, Object> row(String format, VeilKeys.Rotation rotation) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("format", format);
        row.put("owner", rotation.owner());
        row.put("fingerprint", rotation.fingerprint());
        row.put("notAfter", KeysCommand.notAfter(rotation.notAfter())); // "never" for OpenPGP keys, as in keys list
        row.put("replaced", rotation.replacedFingerprint());
        return row;
    }

    /** The current users' addresses from a key listing (OpenPGP user ids are {@code <address>}). */
    private static List<String> users(List<VeilKeys.KeyInfo> infos, String kind) throws KeyException {
        TreeSet<String> users = new TreeSet<>();
        for (VeilKeys.KeyInfo k : infos) {
            if (k.kind().equals(kind) && k.status().equals("current")) {
                String subject = k.subject();
                int open = subject.lastIndexOf('<');
                users.add(open >= 0 && subject.endsWith(">") ? subject.substring(open + 1, subject.length() - 1) : subject);
            }
        }
        return List.copyOf(users);
    }
}
