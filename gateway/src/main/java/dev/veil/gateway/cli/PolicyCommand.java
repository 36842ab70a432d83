package dev.veil.gateway.cli;

import dev.veil.config.Action;
import dev.veil.config.Direction;
import dev.veil.config.Explanation;
import dev.veil.config.Policy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import dev.veil.config.Problem;
import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import dev.veil.crypto.MessageFormats;
import dev.veil.crypto.VeilKeys;
import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.core.KeyService;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import net.sourceforge.argparse4j.inf.Subparsers;

/**
 * {@code veil policy check [POLICY] [--strict]} and {@code veil policy explain [POLICY] --from A --to B
 * [--message FILE.eml]}. POLICY defaults to the configured policy file.
 * Exit codes of check: 0 clean, 1 errors, 2 warnings only with {@code --strict}.
 */
public final class PolicyCommand extends ConfiguredCommand<VeilConfiguration> {
    private static final Pattern ADDRESS = Pattern.compile("<([^<>]*)>|([^\\s,;<>\"]+@[^\\s,;<>\"]+)");

    public PolicyCommand() {
        super("policy", "Check a key policy file, or explain what it does to a message");
    }

    /** A missing or broken config.yml, or a file that cannot be read, is one line on stderr, not a stack trace. */
    @Override
    public void onError(io.dropwizard.core.cli.Cli cli, Namespace namespace, Throwable e) {
        CliErrors.report(cli, e);
    }

    @Override
    public void configure(Subparser subparser) {
        Subparsers actions = subparser.addSubparsers().dest("action").title("actions");
        Subparser check = actions.addParser("check").help("print every error and warning; exit 0 clean, 1 errors,"
                + " 2 warnings only (with --strict)");
        check.addArgument("policy").nargs("?").help("the policy file (default: the configured one)");
        check.addArgument("--strict").action(Arguments.storeTrue()).help("warnings fail too (exit 2)");
        addFileArgument(check);

        Subparser explain = actions.addParser("explain")
                .help("which rule applies to a message, what will be done with which keys, and why");
        explain.addArgument("policy").nargs("?").help("the policy file (default: the configured one)");
        explain.addArgument("--from").help("sender address (default: the message's From)");
        explain.addArgument("--to").help("recipient address (default: the message's first To)");
        explain.addArgument("--direction").choices("inbound", "outbound").setDefault("inbound");
        explain.addArgument("--message").help("an .eml file: its From/To and whether it is already encrypted");
        addFileArgument(explain);
    }

    /** {@code policy check config.yml}: a lone Veil config is the config file, not the policy (see ConfigFileArgument). */
    @Override
    public void run(Bootstrap<?> bootstrap, Namespace ns) throws Exception {
        ConfigFileArgument.takeIfConfig(ns, "policy");
        super.run(bootstrap, ns);
    }

    @Override
    protected void run(Bootstrap<VeilConfiguration> bootstrap, Namespace ns, VeilConfiguration config) throws Exception {
        Path policyFile = ns.getString("policy") == null ? config.policyPath() : Path.of(ns.getString("policy"));
        PolicyLoad load = load(policyFile, config);
        switch (ns.getString("action")) {
            case "check" -> System.exit(check(load, policyFile, Boolean.TRUE.equals(ns.getBoolean("strict"))));
            case "explain" -> System.exit(explain(load, ns, config));
            default -> throw new IllegalArgumentException("unknown action");
        }
    }

    /** The file read as the server reads it; {@code veil check} uses it too. */
    static PolicyLoad load(Path policyFile, VeilConfiguration config) {
        // named keys are checked as the server checks them: a file that is missing or unusable is an error here too
        return PolicyLoader.load(policyFile, new dev.veil.crypto.NamedKeyFiles(config.dataPath()));
    }

    /** Prints every problem and a summary line; returns the exit code of {@code policy check}. */
    static int check(PolicyLoad load, Path file, boolean strict) {
        long errors = 0;
        long warnings = 0;
        for (Problem p : load.problems()) {
            System.out.println(p.format());
            if (p.severity() == Problem.Severity.ERROR) {
                errors++;
            } else {
                warnings++;
            }
        }
        if (errors > 0) {
            System.out.println(file + ": " + errors + " error(s), " + warnings + " warning(s); the policy would be refused");
            return 1;
        }
        System.out.println(file + ": ok, " + warnings + " warning(s)"
                + load.policy().map(p -> " (version " + p.contentHash().substring(0, 12) + ")").orElse(""));
        return strict && warnings > 0 ? 2 : 0;
    }

    private static int explain(PolicyLoad load, Namespace ns, VeilConfiguration config) throws Exception {
        if (load.hasErrors() || load.policy().isEmpty()) {
            load.problems().forEach(p -> System.out.println(p.format()));
            System.out.println("the policy has errors: nothing to explain");
            return 1;
        }
        Policy policy = load.policy().get();
        String from = ns.getString("from");
        String to = ns.getString("to");
        boolean alreadyEncrypted = false;
        if (ns.getString("message") != null) {
            HeaderBlock header;
            try (InputStream in = Files.newInputStream(Path.of(ns.getString("message")))) {
                header = HeaderBlock.read(in);
            } catch (java.io.IOException e) {
                // an admin's typo in --message is one line, not a stack trace
                System.err.println("--message " + ns.getString("message") + ": " + CliErrors.message(e));
                return 1;
            }
            alreadyEncrypted = MessageFormats.isAlreadyEncrypted(header);
            if (from == null) {
                from = firstAddress(header.first("From")).orElse("");
            }
            if (to == null) {
                to = firstAddress(header.first("To")).orElse(null);
            }
        }
        if (to == null) {
            System.err.println("give --to ADDRESS (or --message FILE.eml with a To: header)");
            return 1;
        }
        Direction direction = Direction.valueOf(ns.getString("direction").toUpperCase(Locale.ROOT));
        Explanation explanation = policy.explain(direction, from == null ? "" : from, to);
        System.out.print(explanation.text());
        if (alreadyEncrypted) {
            boolean again = explanation.decision().map(d -> d.action() instanceof Action.Encrypt e
                    && e.alreadyEncrypted() == Action.AlreadyEncrypted.ENCRYPT).orElse(false);
            System.out.println(again ? "  the message is already encrypted: this rule encrypts it again"
                    + " (already-encrypted: encrypt, the default where it pseudonymises correspondents)"
                    : "  the message is already encrypted: an encrypt rule passes it on unchanged");
        }
        explanation.decision().ifPresent(d -> {
            if (d.action() instanceof Action.Encrypt encrypt) {
                printKeys(encrypt, explanation.recipient(), policy, config);
            }
        });
        return 0;
    }

    private static void printKeys(Action.Encrypt encrypt, String recipient, Policy policy, VeilConfiguration config) {
        if (System.getenv("VEIL_MASTER_KEY") == null && !Files.exists(config.dataPath().resolve("master.key"))) {
            System.out.println("     keys: none yet in " + config.dataPath() + " (the server creates them on first start)");
            return;
        }
        VeilKeys keys;
        try {
            keys = KeyService.openKeys(config.dataPath(), System.getenv());
        } catch (Exception e) {
            System.out.println("     keys: unavailable (" + e.getMessage() + ")");
            return;
        }
        for (String target : encrypt.to()) {
            String line;
            try {
                line = switch (target) {
                    case "recipient" -> keys.findUserCertificate(recipient)
                            .map(c -> "recipient " + recipient + ": " + fingerprint(c))
                            .orElse("recipient " + recipient + ": no certificate yet"
                                    + (policy.keys().issueUserCertificates() ? " (issued on first need)"
                                    : " — missing: mail would go to on-error"));
                    case "escrow" -> "escrow: " + fingerprint(keys.escrowCertificate());
                    default -> target + ": named key";
                };
            } catch (Exception e) {
                line = target + ": " + e.getMessage();
            }
            System.out.println("     key " + line);
        }
    }

    private static String fingerprint(java.security.cert.X509Certificate certificate) {
        try {
            return java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Optional<String> firstAddress(Optional<HeaderField> field) {
        return field.map(HeaderField::value).flatMap(v -> {
            Matcher m = ADDRESS.matcher(v);
            return m.find() ? Optional.of(m.group(1) != null ? m.group(1) : m.group(2)) : Optional.empty();
        });
    }
}
