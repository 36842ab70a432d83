package dev.veil.gateway.correspondents;

import dev.veil.config.Policy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.db.AliasDao;
import dev.veil.gateway.db.Database;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.NavigableMap;
import java.util.TreeMap;

/** A policy with pseudonymising rules, fixed pseudonym secrets and an alias directory in a real (H2 file) database. */
public final class CorrespondentsFixture {
    public static final String ALIAS_DOMAIN = "alias.example.net";
    public static final String POLICY = """
            version: 1
            organisation: Example Ltd
            domains: [example.com, "bücher.example"]
            keys:
              escrow: true
            rules:
              - name: newsletter
                match:
                  recipient: news@example.com
                pass:
                  reason: published anyway
                pseudonymise:
                  alias-domain: alias.example.net
                  display-name: "Correspondent {token}"
              - name: plain
                match:
                  recipient: plain@example.com
                encrypt:
                  format: smime
                  to: [recipient, escrow]
              - name: everyone
                match:
                  recipient: [example.com, "bücher.example"]
                encrypt:
                  format: smime
                  to: [recipient, escrow]
                pseudonymise:
                  alias-domain: alias.example.net
                  display-name: "Correspondent {token}"
            """;

    private CorrespondentsFixture() {
    }

    public static Policy policy() {
        PolicyLoad load = PolicyLoader.parse("policy.yml", POLICY);
        if (load.hasErrors() || load.policy().isEmpty()) {
            throw new IllegalStateException("test policy: " + load.problems());
        }
        return load.policy().get();
    }

    public static Pseudonymiser pseudonymiser() {
        return pseudonymiser((byte) 7);
    }

    public static Pseudonymiser pseudonymiser(byte fill) {
        NavigableMap<Integer, byte[]> secrets = new TreeMap<>();
        byte[] secret = new byte[64];
        Arrays.fill(secret, fill);
        secrets.put(1, secret);
        return Pseudonymiser.ofSecrets(secrets);
    }

    public static Database database(Path dir) throws Exception {
        return Database.openEmbedded(dir);
    }

    public static AliasDirectory directory(Database db, Pseudonymiser p) {
        return new AliasDirectory(new AliasDao(db), () -> p, Clock.systemUTC());
    }
}
