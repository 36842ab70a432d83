package dev.veil.gateway.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.config.Policy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import dev.veil.crypto.ArcSigningKey;
import dev.veil.crypto.ExternalKey;
import dev.veil.crypto.ExternalKeys;
import dev.veil.crypto.ImportedKey;
import dev.veil.crypto.KeyException;
import dev.veil.crypto.MasterKey;
import dev.veil.crypto.OpenPgpKeys;
import dev.veil.crypto.VeilKeys;
import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.core.ArcKey;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import net.sourceforge.argparse4j.inf.Subparsers;

/**
 * {@code veil keys list|show|import|remove|export-user|export-escrow|rotate|revoke|rotate-master [config.yml]}:
 * works beside a running server on
 * the same data directory (key files are written atomically; the audit table is shared through H2's auto-server
 * mode). {@code import}, {@code show} and {@code remove} handle external recipients' public keys and need no master
 * key; a running server sees an import at its next lookup.
 */
public final class KeysCommand extends ConfiguredCommand<VeilConfiguration> {

    public KeysCommand() {
        super("keys", "Manage Veil's keys: list, show, import, remove, export-user, export-escrow, rotate, revoke,"
                + " rotate-master, arc-dns");
    }

    /** A missing or broken config.yml, or a file that cannot be read, is one line on stderr, not a stack trace. */
    @Override
    public void onError(io.dropwizard.core.cli.Cli cli, Namespace namespace, Throwable e) {
        CliErrors.report(cli, e);
    }

    @Override
    public void configure(Subparser subparser) {
        Subparsers actions = subparser.addSubparsers().dest("action").title("actions");
        Subparser list = actions.addParser("list").help("list keys (never key material)");
        list.addArgument("--json").action(Arguments.storeTrue()).help("JSON for scripts; FINGERPRINT is a certificate's"
                + " SHA-256 or an OpenPGP primary key's v4/v6 fingerprint");
        addFileArgument(list);

        Subparser importKeys = actions.addParser("import")
                .help("import external recipients' public keys: PEM/DER certificates, PKCS#7 bundles (.p7b/.p7c),"
                        + " ASCII-armored or binary OpenPGP keys; exit 1 if nothing could be imported");
        importKeys.addArgument("key-file").metavar("FILE").help("the file with the public key(s)");
        importKeys.addArgument("--json").action(Arguments.storeTrue()).help("JSON for scripts");
        addFileArgument(importKeys);

        Subparser show = actions.addParser("show").help("show the keys of an address — Veil's own and imported ones —"
                + " or one by any fingerprint veil keys list shows");
        show.addArgument("key").metavar("ADDRESS|FINGERPRINT").help("an address, or a fingerprint (or a unique prefix)");
        show.addArgument("--json").action(Arguments.storeTrue()).help("JSON for scripts");
        addFileArgument(show);

        Subparser remove = actions.addParser("remove")
                .help("remove the external keys of an address, or one key (for all its addresses) by fingerprint");
        remove.addArgument("key").metavar("ADDRESS|FINGERPRINT").help("an address, or a fingerprint (or a unique prefix)");
        addFileArgument(remove);

        Subparser user = actions.addParser("export-user")
                .help("write a user's certificate and private key as PKCS#12 (for Outlook); audited");
        user.addArgument("address").help("the user's email address");
        user.addArgument("--out").required(true).help("the .p12 file to write");
        user.addArgument("--password-file").help("file whose first line is the PKCS#12 password or OpenPGP passphrase"
                + " (else: prompt)");
        user.addArgument("--format").choices("smime", "openpgp").setDefault("smime")
                .help("smime: PKCS#12 for Outlook (default); openpgp: armored secret key for gpg");
        user.addArgument("--with-retired").action(Arguments.storeTrue())
                .help("also the user's retired keys (after the current one, in the same .p12 or armored block),"
                        + " which mail already in Exchange was encrypted to");
        addFileArgument(user);

        Subparser arcDns = actions.addParser("arc-dns")
                .help("print the DNS TXT record that publishes Veil's ARC sealing key (created if there is none)");
        addFileArgument(arcDns);

        Subparser escrow = actions.addParser("export-escrow")
                .help("write escrow-key.pem and escrow-cert.pem (for recovery and openssl cms); audited");
        escrow.addArgument("--out").required(true).help("directory to write to");
        escrow.addArgument("--format").choices("smime", "openpgp").setDefault("smime")
                .help("smime: PEM key and certificate (default); openpgp: escrow-secret.asc (passphrase-protected)"
                        + " and escrow-public.asc");
        escrow.addArgument("--password-file").help("file whose first line is the passphrase (else: prompt); with smime"
                + " the key is an encrypted PKCS#8 PEM (openssl -passin reads it)");
        escrow.addArgument("--unencrypted").action(Arguments.storeTrue())
                .help("with smime, no password: write the private key as unencrypted PEM");
        addFileArgument(escrow);

        Subparser rotate = actions.addParser("rotate")
                .help("replace a user's keys (or, without ADDRESS, every user key and the escrow key) by new ones;"
                        + " the old ones keep decrypting for as long as keys.keep-old-keys says; audited");
        rotate.addArgument("address").metavar("ADDRESS").nargs("?").help("the user whose keys to replace (default: all)");
        rotate.addArgument("--format").choices("smime", "openpgp", "all").setDefault("all")
                .help("which keys (default: every format the user has)");
        rotate.addArgument("--json").action(Arguments.storeTrue()).help("JSON for scripts");
        addFileArgument(rotate);

        Subparser revoke = actions.addParser("revoke")
                .help("revoke a user's keys: they stop encrypting at once, S/MIME ones are listed in keys/ca.crl,"
                        + " OpenPGP ones get a revocation certificate; old mail stays readable; audited");
        revoke.addArgument("address").metavar("ADDRESS").help("the user whose keys to revoke");
        revoke.addArgument("--format").choices("smime", "openpgp", "all").setDefault("all")
                .help("which keys (default: every format the user has)");
        revoke.addArgument("--json").action(Arguments.storeTrue()).help("JSON for scripts");
        addFileArgument(revoke);

        Subparser master = actions.addParser("rotate-master")
                .help("re-wrap every private key under a new master key, while the server keeps running; safe to"
                        + " re-run after an interruption; audited");
        master.addArgument("--json").action(Arguments.storeTrue()).help("JSON for scripts");
        addFileArgument(master);
    }

    /** {@code keys rotate config.yml}: a lone argument that is no address is the config file. */
    @Override
    public void run(Bootstrap<?> bootstrap, Namespace ns) throws Exception {
        if ("rotate".equals(ns.getString("action"))) {
            ConfigFileArgument.takeUnlessAddress(ns, "address");
        }
        super.run(bootstrap, ns);
    }

    @Override
    protected void run(Bootstrap<VeilConfiguration> bootstrap, Namespace ns, VeilConfiguration config) throws Exception {
        String action = ns.getString("action");
        boolean json = Boolean.TRUE.equals(ns.getBoolean("json"));
        exitOnFailure(action, json, bootstrap.getObjectMapper(), () -> run(bootstrap, ns, config, action, json));
    }

    private int run(Bootstrap<VeilConfiguration> bootstrap, Namespace ns, VeilConfiguration config, String action,
                    boolean json) throws Exception {
        Path data = config.dataPath();
        ObjectMapper mapper = bootstrap.getObjectMapper();
        if (List.of("import", "show", "remove").contains(action)) {
            // External keys are public data: no master key, no organisation keys needed.
            ExternalKeys external = ExternalKeys.open(KeyService.keyDirectory(data));
            return switch (action) {
                case "import" -> importKeys(external, config, Path.of(ns.getString("key_file")), json, mapper);
                case "show" -> show(KeyShow.find(ns.getString("key"), config, external), json, mapper);
                default -> remove(external, config, ns.getString("key"));
            };
        }
        if ("rotate-master".equals(action)) {
            return MasterKeyRotationCommand.run(config, json, mapper);
        }
        if ("arc-dns".equals(action)) {
            System.out.print(arcDnsRecord(config, ArcKey.openOrCreate(data, System.getenv(), config.getArc())));
            return 0;
        }
        VeilKeys keys = KeyService.openKeys(data, System.getenv());
        PolicyLoad load = PolicyLoader.load(config.policyPath());
        if (load.policy().isPresent()) {
            Policy policy = load.policy().get();
            keys.initialise(policy.organisation(), policy.keys());
        }
        switch (action) {
            case "list" -> list(keys, KeyService.openOpenPgpKeys(config.dataPath(), System.getenv()),
                    ExternalKeys.open(KeyService.keyDirectory(data)), json, mapper);
            case "export-user" -> {
                String address = ns.getString("address");
                Path out = Path.of(ns.getString("out"));
                boolean openpgp = "openpgp".equals(ns.getString("format"));
                boolean withRetired = Boolean.TRUE.equals(ns.getBoolean("with_retired"));
                char[] password = password(ns.getString("password_file"), openpgp ? "OpenPGP passphrase: " : "PKCS#12 password: ");
                int retired = 0;
                try {
                    if (openpgp) {
                        retired = openPgp(config, policy(config)).exportSecret(address, password, out, withRetired);
                    } else {
                        retired = keys.exportUserPkcs12(address, password, out, withRetired);
                    }
                } finally {
                    Arrays.fill(password, '\0');
                }
                String what = (openpgp ? "OpenPGP secret key" : "PKCS#12") + (withRetired ? " with " + retired
                        + " retired key(s)" : "");
                audit(config, "key-export", List.of(address), what + " written to " + out.toAbsolutePath());
                System.out.println("wrote " + out + " (" + what + " of " + address + ")");
            }
            case "export-escrow" -> {
                Path dir = Path.of(ns.getString("out"));
                boolean unencrypted = Boolean.TRUE.equals(ns.getBoolean("unencrypted"));
                if (unencrypted && ns.getString("password_file") != null) {
                    throw new IllegalArgumentException("give either --password-file or --unencrypted, not both");
                }
                if ("openpgp".equals(ns.getString("format"))) {
                    if (unencrypted) {
                        throw new IllegalArgumentException("the OpenPGP escrow key is always passphrase-protected:"
                                + " drop --unencrypted");
                    }
                    OpenPgpKeys pgp = openPgp(config, policy(config));
                    char[] password = password(ns.getString("password_file"), "OpenPGP passphrase: ");
                    Files.createDirectories(dir);
                    List<Path> retired;
                    try {
                        pgp.exportEscrowSecret(password, dir.resolve("escrow-secret.asc"));
                        // as for S/MIME: older mail is encrypted to the escrow keys rotation retired
                        retired = pgp.exportRetiredEscrowSecrets(password, dir.resolve("retired"));
                    } finally {
                        Arrays.fill(password, '\0');
                    }
                    Files.writeString(dir.resolve("escrow-public.asc"), pgp.exportEscrowPublic());
                    audit(config, "key-export", List.of("escrow"), "OpenPGP escrow key written to " + dir.toAbsolutePath());
                    System.out.println("wrote " + dir.resolve("escrow-secret.asc") + " (passphrase-protected) and "
                            + dir.resolve("escrow-public.asc"));
                    if (!retired.isEmpty()) {
                        System.out.println("wrote " + retired.size() + " retired escrow key(s) to " + dir.resolve("retired")
                                + " (for mail older than the last escrow rotation)");
                    }
                } else if (unencrypted) {
                    keys.exportEscrow(dir, null);
                    audit(config, "key-export", List.of("escrow"), "escrow key written unencrypted to " + dir.toAbsolutePath());
                    System.out.println("wrote " + dir.resolve("escrow-key.pem") + " and " + dir.resolve("escrow-cert.pem")
                            + " — the private key is unencrypted: keep it offline");
                } else {
                    char[] password = password(ns.getString("password_file"), "escrow key password: ");
                    try {
                        keys.exportEscrow(dir, password);
                    } finally {
                        Arrays.fill(password, '\0');
                    }
                    audit(config, "key-export", List.of("escrow"), "escrow key written (encrypted PKCS#8) to "
                            + dir.toAbsolutePath());
                    System.out.println("wrote " + dir.resolve("escrow-key.pem") + " (encrypted: openssl -passin reads it) and "
                            + dir.resolve("escrow-cert.pem"));
                }
            }
            case "rotate" -> {
                return KeyRotationCommand.rotate(config, keys, policy(config), ns.getString("address"),
                        ns.getString("format"), json, mapper);
            }
            case "revoke" -> {
                return KeyRotationCommand.revoke(config, keys, policy(config), ns.getString("address"),
                        ns.getString("format"), json, mapper);
            }
            default -> throw new IllegalArgumentException("unknown action");
        }
        return 0;
    }

    /** An action that returns an exit code. */
    interface Action {
        int run() throws Exception;
    }

    /**
     * Runs an action; an expected failure (a key problem, a file, a bad argument) is one line on stderr — and with
     * {@code --json}, {@code {"error": "..."}} on stdout so scripts always get JSON — and exit 1.
     */
    private static void exitOnFailure(String action, boolean json, ObjectMapper mapper, Action body) throws Exception {
        int exit;
        try {
            exit = body.run();
        } catch (Exception e) {
            if (!CliErrors.expected(e)) {
                throw e;
            }
            String message = CliErrors.message(e);
            System.err.println("veil keys " + action + ": " + message);
            if (json) {
                System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(Map.of("error", message)));
            }
            exit = 1;
        }
        System.out.flush();
        if (exit != 0) {
            System.exit(exit);
        }
    }

    /** The zone-file line for the ARC key, its value split into strings of at most 255 characters (RFC 1035). */
    static String arcDnsRecord(VeilConfiguration config, ArcSigningKey key) {
        String domain = config.getArc().getDomain().isBlank() ? "ARC-DOMAIN" : config.getArc().getDomain();
        String value = key.dnsTxtValue();
        StringBuilder strings = new StringBuilder();
        for (int i = 0; i < value.length(); i += 255) {
            strings.append(strings.length() == 0 ? "" : " ").append('"')
                    .append(value, i, Math.min(value.length(), i + 255)).append('"');
        }
        StringBuilder out = new StringBuilder();
        if (config.getArc().getDomain().isBlank()) {
            out.append("; arc.domain is not set: replace ARC-DOMAIN with it\n");
        }
        out.append("; Veil's ARC sealing key (RSA-2048): publish this record, then trust the sealer in Exchange Online\n");
        out.append(config.getArc().getSelector()).append("._domainkey.").append(domain).append(". IN TXT ( ")
                .append(strings).append(" )\n");
        return out.toString();
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

    private static void list(VeilKeys keys, OpenPgpKeys pgp, ExternalKeys external, boolean json, ObjectMapper mapper)
            throws Exception {
        List<VeilKeys.KeyInfo> infos = new java.util.ArrayList<>(keys.list());
        infos.addAll(pgp.list());
        infos.addAll(external.keyInfos());
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (VeilKeys.KeyInfo k : infos) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("kind", k.kind());
                row.put("subject", k.subject());
                row.put("fingerprint", k.fingerprint());
                row.put("notAfter", notAfter(k.notAfter()));
                row.put("status", k.status());
                rows.add(row);
            }
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
            return;
        }
        List<String[]> rows = new ArrayList<>();
        for (VeilKeys.KeyInfo k : infos) {
            rows.add(new String[] {k.kind(), k.subject(), notAfter(k.notAfter()), k.status(), k.fingerprint()});
        }
        // a certificate's SHA-256, or an OpenPGP primary key's own fingerprint (40 hex digits v4, 64 v6)
        table(new String[] {"KIND", "SUBJECT", "NOT AFTER", "STATUS", "FINGERPRINT"}, rows);
    }

    /** ISO-8601, or "never" for a key without expiry (OpenPGP), in tables and JSON alike. */
    static String notAfter(Instant notAfter) {
        return notAfter == null ? "never" : notAfter.toString();
    }

    /** Imports and prints a table of what is now stored; refusals go to stderr. Exit 1 if nothing is stored. */
    private static int importKeys(ExternalKeys external, VeilConfiguration config, Path file, boolean json,
                                  ObjectMapper mapper) throws Exception {
        List<ImportedKey> results = external.importFile(file);
        List<ImportedKey> stored = results.stream().filter(ImportedKey::stored).toList();
        List<ImportedKey> refused = results.stream().filter(k -> !k.stored()).toList();
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (ImportedKey k : results) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("status", k.status().label);
                row.put("format", k.format().label);
                row.put("addresses", k.addresses());
                row.put("fingerprint", k.fingerprint());
                row.put("subject", k.subject());
                // "never" for an OpenPGP key without expiry, as keys list/show say; null only when there is no key
                // to speak of (a file that was not read as a key)
                boolean noExpiry = k.format() == ExternalKey.Format.OPENPGP && k.fingerprint() != null;
                row.put("notAfter", k.notAfter() == null && !noExpiry ? null : notAfter(k.notAfter()));
                row.put("reason", k.reason());
                rows.add(row);
            }
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
        } else if (!stored.isEmpty()) {
            List<String[]> rows = new ArrayList<>();
            for (ImportedKey k : stored) {
                for (String address : k.addresses()) {
                    rows.add(new String[] {k.format().label, address, k.fingerprint(),
                            k.notAfter() == null ? "never" : k.notAfter().toString(), k.status().label});
                }
            }
            table(new String[] {"FORMAT", "ADDRESS", "FINGERPRINT", "NOT AFTER", "STATUS"}, rows);
        }
        for (ImportedKey k : refused) {
            String what = k.format().label + " key " + (k.subject() == null || k.subject().isBlank() ? "" : "'" + k.subject() + "' ")
                    + "(" + k.fingerprint() + ")";
            System.err.println("refused " + what + ": " + k.reason());
        }
        List<String> changed = stored.stream().filter(ImportedKey::changed)
                .flatMap(k -> k.addresses().stream()).distinct().toList();
        if (!changed.isEmpty()) {
            audit(config, "key-import", changed, "external public key(s) imported from " + file.toAbsolutePath() + ": "
                    + stored.stream().filter(ImportedKey::changed)
                            .map(k -> k.format().label + " " + k.fingerprint() + " " + k.status().label)
                            .collect(Collectors.joining(", ")));
        }
        List<String> imported = stored.stream().filter(k -> k.status() == ImportedKey.Status.IMPORTED)
                .flatMap(k -> k.addresses().stream()).distinct().toList();
        if (!imported.isEmpty()) {
            warnIfVeilKeysExist(config, imported);
        }
        if (stored.isEmpty()) {
            System.err.println("veil keys import: nothing imported from " + file);
            return 1;
        }
        return 0;
    }

    /** A Veil-issued key wins over an imported one: say so, if the key store can be opened without side effects. */
    private static void warnIfVeilKeysExist(VeilConfiguration config, List<String> addresses) {
        Path data = config.dataPath();
        if (!ownKeysExist(data)) {
            return;
        }
        try {
            VeilKeys keys = KeyService.openKeys(data, System.getenv());
            OpenPgpKeys pgp = KeyService.openOpenPgpKeys(data, System.getenv());
            for (String address : addresses) {
                if (keys.hasUserCertificate(address) || pgp.hasUserKey(address)) {
                    System.err.println("note: Veil has issued its own key for " + address
                            + "; mail to it is still encrypted to that key, not to the imported one");
                }
            }
        } catch (Exception e) {
            // only a hint: the import itself is done
        }
    }

    private static int show(List<Map<String, Object>> rows, boolean json, ObjectMapper mapper) throws Exception {
        if (json) {
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
            return 0;
        }
        boolean first = true;
        for (Map<String, Object> row : rows) {
            if (!first) {
                System.out.println();
            }
            first = false;
            for (Map.Entry<String, Object> field : row.entrySet()) {
                if (field.getValue() != null) {
                    Object value = field.getValue() instanceof List<?> list
                            ? list.stream().map(String::valueOf).collect(Collectors.joining(", ")) : field.getValue();
                    System.out.printf("%-15s %s%n", field.getKey().replaceAll("([A-Z])", " $1").toUpperCase(Locale.ROOT), value);
                }
            }
        }
        return 0;
    }

    static Map<String, Object> describe(ExternalKey k) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("kind", "external-" + k.format().label);
        row.put("fingerprint", k.fingerprint());
        row.put("addresses", k.addresses());
        row.put("subject", k.subject());
        row.put("issuer", k.issuer());
        row.put("notBefore", k.notBefore() == null ? null : k.notBefore().toString());
        row.put("notAfter", k.notAfter() == null ? (k.format() == ExternalKey.Format.OPENPGP ? "never" : null)
                : k.notAfter().toString());
        row.put("version", k.version() == null ? null : "v" + k.version());
        row.put("algorithm", k.algorithm());
        row.put("encryptionKey", k.encryptionKey());
        return row;
    }

    private static int remove(ExternalKeys external, VeilConfiguration config, String key) throws Exception {
        List<ExternalKey> removed = external.remove(key);
        List<String> addresses = new ArrayList<>();
        for (ExternalKey k : removed) {
            System.out.println("removed " + k.format().label + " key " + k.fingerprint() + " for " + String.join(", ", k.addresses()));
            addresses.addAll(k.addresses());
        }
        audit(config, "key-remove", addresses.stream().distinct().toList(), "external public key(s) removed: "
                + removed.stream().map(k -> k.format().label + " " + k.fingerprint()).collect(Collectors.joining(", ")));
        return 0;
    }

    /** Whether Veil's own key store can be opened without side effects: without a master key, opening creates one. */
    static boolean ownKeysExist(Path data) {
        String fromEnv = System.getenv(MasterKey.ENV_VARIABLE);
        // keys wrapped under a master key that is missing count too: opening them then says what is missing (a
        // black-box probe's "keys show" answered "Veil has issued none" for a key whose file was there)
        return (fromEnv != null && !fromEnv.isBlank()) || Files.exists(data.resolve("master.key"))
                || KeyService.holdsWrappedKeys(KeyService.keyDirectory(data));
    }

    /** Left-aligned columns, two spaces apart; the last column is not padded. */
    static void table(String[] header, List<String[]> rows) {
        int[] widths = new int[header.length];
        for (int i = 0; i < header.length; i++) {
            widths[i] = header[i].length();
            for (String[] row : rows) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        List<String[]> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (String[] row : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
            }
            System.out.println(line.toString().stripTrailing());
        }
    }

    private static char[] password(String file, String prompt) throws Exception {
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
        char[] first = console.readPassword(prompt);
        char[] again = console.readPassword("again: ");
        if (first == null || first.length == 0 || !Arrays.equals(first, again)) {
            throw new IllegalArgumentException("the passwords are empty or differ");
        }
        return first;
    }

    static void audit(VeilConfiguration config, String event, List<String> subjects, String detail) {
        try (Database db = config.getDatabaseUrl().isBlank() ? Database.openEmbedded(config.dataPath())
                : Database.open(config.getDatabaseUrl())) {
            new AuditDao(db).record(new AuditRecord(null, Instant.now(), event, subjects, null, null, List.of(),
                    "done", detail));
        } catch (Exception e) {
            System.err.println("warning: could not write the audit row: " + e.getMessage());
        }
    }
}
