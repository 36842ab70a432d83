package dev.veil.gateway.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import dev.veil.crypto.SelfSignedTls;
import dev.veil.gateway.AdminToken;
import dev.veil.gateway.UpstreamSettings;
import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.auth.DnsResolver;
import dev.veil.gateway.graph.GraphClient;
import dev.veil.gateway.pipeline.PipelineCoverage;
import dev.veil.gateway.relay.SmtpUpstream;
import dev.veil.gateway.smtp.ClientCertificates;
import dev.veil.gateway.smtp.Networks;
import dev.veil.gateway.smtp.SmtpListener;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * {@code veil check [config.yml]}. Dropwizard's check validates config.yml alone, so it said "OK" about a gateway that
 * then ran with no policy in force (mail refused with 451), whose policy asked for a step its pipelines lack (mail
 * deferred for ever), or that did not start at all. This one also runs what the server checks at start that needs no
 * side effect: the policy as {@code veil policy check} reads it, the policy against the pipelines
 * ({@link PipelineCoverage}), and the settings the server refuses to start with — by calling the code the server
 * calls, so the two cannot disagree. Nothing is bound, opened for writing or created.
 *
 * <p>Left to the server: keys, the ARC key and the database, because opening them on a fresh data directory creates
 * them, and the master key may live in the server's environment only; ports, because checking one means binding it.
 *
 * <p>Exit 0 when the server would start and could carry out every rule; 1 otherwise, each reason on its own line.
 */
public final class CheckCommand extends ConfiguredCommand<VeilConfiguration> {

    public CheckCommand() {
        super("check", "Check the configuration file, the policy file it names and the settings the server checks at"
                + " start, without starting it: exit 0 when the server would start and carry out every rule");
    }

    /** As Dropwizard's check: a config.yml error, or a failed check, is its message alone on stderr (exit 1). */
    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        cli.getStdErr().println(e.getMessage());
    }

    @Override
    protected void run(Bootstrap<VeilConfiguration> bootstrap, Namespace ns, VeilConfiguration config) throws Exception {
        String configName = ns.getString("file") == null ? "the default configuration" : ns.getString("file");
        Path policyFile = config.policyPath();
        PolicyLoad load;
        if (Files.exists(policyFile)) {
            load = PolicyCommand.load(policyFile, config);
        } else {
            // not an error for the server, which writes its example there and starts: check what it would run
            System.out.println(policyFile + ": no such file; the server writes the example policy there at its first"
                    + " start (it protects example.com only) — checking that example");
            load = PolicyLoader.parse(policyFile.getFileName().toString(), PolicyLoader.exampleYaml());
        }
        // prints each problem with its file:line and a summary line, as `veil policy check` does
        boolean refused = PolicyCommand.check(load, policyFile, false) != 0 || load.policy().isEmpty();
        List<String> gaps = refused ? List.of() : PipelineCoverage.gaps(load.policy().get(), config.pipelines());
        gaps.forEach(gap -> System.out.println("policy and pipeline: " + gap));
        List<String> settings = settingsProblems(config, bootstrap.getObjectMapper());
        settings.forEach(problem -> System.out.println(configName + ": " + problem));

        List<String> failed = new ArrayList<>();
        if (refused) {
            failed.add("the server would refuse the policy (mail refused with 451, queued mail waits)");
        }
        if (!gaps.isEmpty()) {
            failed.add(gaps.size() + " rule/step gap(s) (such mail waits for ever)");
        }
        if (!settings.isEmpty()) {
            failed.add(settings.size() + " setting(s) the server would not start with");
        }
        if (!failed.isEmpty()) {
            throw new CheckFailed(configName + " and " + policyFile + " are not OK: " + String.join("; ", failed));
        }
        // Dropwizard's check logged this, and scripts may look for it; printed, because the console log is written
        // by a background thread that the command's exit can cut short
        System.out.println("Configuration is OK");
        System.out.println(configName + " and " + policyFile + " are OK: " + load.policy().get().rules().size()
                + " rule(s), the pipelines cover them");
    }

    /**
     * What {@code VeilApplication.run} refuses to start with beyond config.yml's own validation, one line each; each
     * check is the call the server makes, under the condition it makes it.
     */
    static List<String> settingsProblems(VeilConfiguration config, ObjectMapper json) {
        List<String> problems = new ArrayList<>();
        String keyStore = config.getSmtp().getTlsKeyStore();
        if (!keyStore.isBlank()) { // when it is empty the server makes a certificate of its own: a write
            check(problems, "smtp.tlsKeyStore", opening(keyStore, () -> SelfSignedTls.serverContext(Path.of(keyStore),
                    config.getSmtp().getTlsKeyStorePassword().toCharArray(), null, "localhost")));
        }
        relay(problems, "upstream", config.getUpstream());
        relay(problems, "outbound.relay", config.getOutbound().getRelay());
        check(problems, "arc", () -> config.getArc().requireDomainIf(config.hasStep("arc-seal")));
        if (config.needsDns()) {
            check(problems, "auth.dnsServers", () -> new DnsResolver(config.getAuth().getDnsServers(),
                    config.getAuth().getDnsTimeout().toJavaDuration()));
        }
        check(problems, "outbound.allowedNetworks",
                () -> Networks.parse("outbound.allowedNetworks", config.getOutbound().getAllowedNetworks()));
        check(problems, "outbound.accounts", () -> SmtpListener.checkAccounts(config.getOutbound()));
        check(problems, "outbound.clientCertificates",
                () -> ClientCertificates.from(config.getOutbound().getClientCertificates()));
        if (config.getGraph().periodicSync()) {
            check(problems, "graph", () -> GraphClient.open(config.getGraph(), json));
        }
        Path tokenFile = config.dataPath().resolve("admin.token");
        if (config.getAdminToken().isBlank() && Files.exists(tokenFile)) { // a missing one is written at start
            check(problems, "admin token", () -> AdminToken.read(tokenFile));
        } else if (!config.getAdminToken().isBlank()) {
            check(problems, "adminToken", () -> AdminToken.usable(config.getAdminToken().trim(), "adminToken"));
        }
        return problems;
    }

    private static void relay(List<String> problems, String setting, UpstreamSettings settings) {
        int before = problems.size();
        check(problems, setting, () -> settings.requireHost(setting));
        if (settings.getMode() == UpstreamSettings.Mode.smtp && problems.size() == before) {
            // loads the trust store, as the server does when it makes its relay; connects to nothing
            check(problems, setting + ".trustStore",
                    opening(settings.getTrustStore(), () -> new SmtpUpstream(settings, "localhost", setting).close()));
        }
    }

    private interface Check {
        void run() throws Exception;
    }

    /** A key store that is there but does not open says why in Java's words alone, e.g. "java.io.EOFException". */
    private static Check opening(String file, Check load) {
        return () -> {
            try {
                load.run();
            } catch (FileSystemException e) {
                throw e;
            } catch (IOException | GeneralSecurityException e) {
                throw new IOException(file + " does not open as a key store with the configured password ("
                        + CliErrors.message(e) + ")", e);
            }
        };
    }

    private static void check(List<String> problems, String setting, Check check) {
        try {
            check.run();
        } catch (IllegalArgumentException | IllegalStateException e) {
            problems.add(e.getMessage()); // these name the setting themselves
        } catch (Exception e) {
            problems.add(setting + ": " + CliErrors.message(e)); // file and key store errors name only the file
        }
    }

    /** Ends the command with exit status 1 and its message on stderr, as a config.yml error does. */
    private static final class CheckFailed extends Exception {
        CheckFailed(String message) {
            super(message);
        }
    }
}
