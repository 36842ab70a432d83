package dev.veil.gateway.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.config.Policy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import dev.veil.crypto.OpenPgpKeys;
import dev.veil.crypto.VeilKeys;
import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.core.AuditRecord;
import dev.veil.gateway.core.KeyService;
import dev.veil.gateway.db.AuditDao;
import dev.veil.gateway.db.Database;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import java.io.Console;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import net.sourceforge.argparse4j.inf.Subparsers;

/**
 * {@code veil keys list|export-user|export-escrow [config.yml]}: works beside a running server on the same data
 * directory (key files are written atomically; the audit table is shared through H2's auto-server mode).
 */
public final class KeysCommand extends ConfiguredCommand<VeilConfiguration> {

    public KeysCommand() {
        super("keys", "Manage Veil's keys: list, export-user, export-escrow");
    }

    @Override
    public void configure(Subparser subparser) {
        Subparsers actions = subparser.addSubparsers().dest("action").title("actions");
        Subparser list = actions.addParser("list").help("list keys (never key material)");
        list.addArgument("--json").action(Arguments.storeTrue()).help("JSON for scripts");
        addFileArgument(list);

        Subparser user = actions.addParser("export-user")
                .help("write a user's certificate and private key as PKCS#12 (for Outlook); audited");
        user.addArgument("address").help("the user's email address");
        user.addArgument("--out").required(true).help("the .p12 file to write");
        user.addArgument("--password-file").help("file whose first line is the PKCS#12 password or OpenPGP passphrase"
                + " (else: prompt)");
        user.addArgument("--format").choices("smime", "openpgp").setDefault("smime")
                .help("smime: PKCS#12 for Outlook (default); openpgp: armored secret key for gpg");
        addFileArgument(user);

        Subparser escrow = actions.addParser("export-escrow")
                .help("write escrow-key.pem and escrow-cert.pem (for recovery and openssl cms); audited");
        escrow.addArgument("--out").required(true).help("directory to write to");
        escrow.addArgument("--format").choices("smime", "openpgp").setDefault("smime")
                .help("smime: PEM key and certificate (default); openpgp: escrow-secret.asc (passphrase-protected)"
                        + " and escrow-public.asc");
        escrow.addArgument("--password-file").help("with --format openpgp: file whose first line is the passphrase");
        addFileArgument(escrow);
    }

    @Override
    protected void run(Bootstrap<VeilConfiguration> bootstrap, Namespace ns, VeilConfiguration config) throws Exception {
        Path data = config.dataPath();
        VeilKeys keys = KeyService.openKeys(data, System.getenv());
        PolicyLoad load = PolicyLoader.load(config.policyPath());
        if (load.policy().isPresent()) {
            Policy policy = load.policy().get();
            keys.initialise(policy.organisation(), policy.keys());
        }
        switch (ns.getString("action")) {
            case "list" -> list(keys, KeyService.openOpenPgpKeys(config.dataPath(), System.getenv()),
                    ns.getBoolean("json"), bootstrap.getObjectMapper());
            case "export-user" -> {
                String address = ns.getString("address");
                Path out = Path.of(ns.getString("out"));
                char[] password = password(ns.getString("password_file"));
                boolean openpgp = "openpgp".equals(ns.getString("format"));
                try {
                    if (openpgp) {
                        openPgp(config, policy(config)).exportSecret(address, password, out);
                    } else {
                        keys.exportUserPkcs12(address, password, out);
                    }
                } finally {
                    Arrays.fill(password, '\0');
                }
                String what = openpgp ? "OpenPGP secret key" : "PKCS#12";
                audit(config, "key-export", List.of(address), what + " written to " + out.toAbsolutePath());
                System.out.println("wrote " + out + " (" + what + " of " + address + ")");
            }
            case "export-escrow" -> {
                Path dir = Files.createDirectories(Path.of(ns.getString("out")));
                if ("openpgp".equals(ns.getString("format"))) {
                    OpenPgpKeys pgp = openPgp(config, policy(config));
                    char[] password = password(ns.getString("password_file"));
                    try {
                        pgp.exportEscrowSecret(password, dir.resolve("escrow-secret.asc"));
                    } finally {
                        Arrays.fill(password, '\0');
                    }
                    Files.writeString(dir.resolve("escrow-public.asc"), pgp.exportEscrowPublic());
                    audit(config, "key-export", List.of("escrow"), "OpenPGP escrow key written to " + dir.toAbsolutePath());
                    System.out.println("wrote " + dir.resolve("escrow-secret.asc") + " (passphrase-protected) and "
                            + dir.resolve("escrow-public.asc"));
                } else {
                    keys.exportEscrow(dir);
                    audit(config, "key-export", List.of("escrow"), "escrow key written to " + dir.toAbsolutePath());
                    System.out.println("wrote " + dir.resolve("escrow-key.pem") + " and " + dir.resolve("escrow-cert.pem")
                            + " — the private key is unencrypted: keep it offline");
                }
            }
            default -> throw new IllegalArgumentException("unknown action");
        }
    }

    private static Policy policy(VeilConfiguration config) {
        return PolicyLoader.load(config.policyPath()).policy()
                .orElseThrow(() -> new IllegalArgumentException(config.policyPath() + " has errors: run veil policy check"));
    }

    /** The OpenPGP keys, with the escrow key created if the policy uses OpenPGP and there is none yet. */
    private static OpenPgpKeys openPgp(VeilConfiguration config, Policy policy) throws Exception {
        OpenPgpKeys pgp = KeyService.openOpenPgpKeys(config.dataPath(), System.getenv());
        pgp.initialise(policy.organisation(), policy.keys());
        return pgp;
    }

    private static void list(VeilKeys keys, OpenPgpKeys pgp, boolean json, ObjectMapper mapper) throws Exception {
        List<VeilKeys.KeyInfo> infos = new java.util.ArrayList<>(keys.list());
        infos.addAll(pgp.list());
        if (json) {
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(infos));
            return;
        }
        int kind = "KIND".length();
        int subject = "SUBJECT".length();
        for (VeilKeys.KeyInfo k : infos) {
            kind = Math.max(kind, k.kind().length());
            subject = Math.max(subject, k.subject().length());
        }
        String format = "%-" + kind + "s  %-" + subject + "s  %-20s  %s%n";
        System.out.printf(format, "KIND", "SUBJECT", "NOT AFTER", "FINGERPRINT (SHA-256)");
        for (VeilKeys.KeyInfo k : infos) {
            System.out.printf(format, k.kind(), k.subject(), k.notAfter(), k.fingerprint());
        }
    }

    private static char[] password(String file) throws Exception {
        if (file != null) {
            String first = Files.readAllLines(Path.of(file)).stream().findFirst().orElse("");
            if (first.isEmpty()) {
                throw new IllegalArgumentException(file + ": the first line (the password) is empty");
            }
            return first.toCharArray();
        }
        Console console = System.console();
        if (console == null) {
            throw new IllegalArgumentException("no terminal to ask for a password: use --password-file FILE");
        }
        char[] first = console.readPassword("PKCS#12 password: ");
        char[] again = console.readPassword("again: ");
        if (first == null || first.length == 0 || !Arrays.equals(first, again)) {
            throw new IllegalArgumentException("the passwords are empty or differ");
        }
        return first;
    }

    private static void audit(VeilConfiguration config, String event, List<String> subjects, String detail) {
        try (Database db = config.getDatabaseUrl().isBlank() ? Database.openEmbedded(config.dataPath())
                : Database.open(config.getDatabaseUrl())) {
            new AuditDao(db).record(new AuditRecord(null, Instant.now(), event, subjects, null, null, List.of(),
                    "done", detail));
        } catch (Exception e) {
            System.err.println("warning: could not write the audit row: " + e.getMessage());
        }
    }
}
