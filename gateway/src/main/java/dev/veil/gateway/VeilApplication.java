package dev.veil.gateway;

import com.codahale.metrics.MetricRegistry;
import dev.veil.crypto.NamedKeyFiles;
import dev.veil.crypto.SelfSignedTls;
import dev.veil.config.Direction;
import dev.veil.gateway.cli.CheckCommand;
import dev.veil.gateway.cli.ContactsCommand;
import dev.veil.gateway.cli.DecryptCommand;
import dev.veil.gateway.cli.HashPasswordCommand;
import dev.veil.gateway.correspondents.CorrespondentRestorer;
import dev.veil.gateway.cli.KeysCommand;
import dev.veil.gateway.cli.PolicyCommand;
import dev.veil.gateway.contacts.ContactProtectors;
import dev.veil.gateway.contacts.ContactSync;
import dev.veil.gateway.contacts.ContactSyncRunner;
import dev.veil.gateway.core.KeyService;
import dev.veil.gateway.core.PolicyHolder;
import dev.veil.gateway.core.PrivateDirectories;
import dev.veil.gateway.core.PolicyWatcher;
import dev.veil.gateway.core.QueueRunner;
import dev.veil.gateway.core.RevocationListRefresher;
import dev.veil.gateway.core.MessagePartyWriter;
import dev.veil.gateway.core.SentIdPruner;
import dev.veil.gateway.core.Spool;
import dev.veil.gateway.correspondents.AliasDirectory;
import dev.veil.gateway.correspondents.HeaderPseudonymiser;
import dev.veil.gateway.correspondents.Reidentifier;
import dev.veil.gateway.correspondents.VaultReidentifier;
import dev.veil.gateway.db.AliasDao;
import dev.veil.gateway.db.AliasJournal;
import dev.veil.gateway.db.AuditDao;
import dev.veil.gateway.db.ContactJournalDao;
import dev.veil.gateway.db.Database;
import dev.veil.gateway.db.MessageIdPartyDao;
import dev.veil.gateway.db.SentMessageIdDao;
import dev.veil.gateway.db.SpoolDao;
import dev.veil.gateway.graph.ContactMapping;
import dev.veil.gateway.graph.GraphClient;
import dev.veil.gateway.health.DatabaseHealthCheck;
import dev.veil.gateway.health.KeysHealthCheck;
import dev.veil.gateway.health.PolicyHealthCheck;
import dev.veil.gateway.health.SpoolHealthCheck;
import dev.veil.gateway.health.UpstreamHealthCheck;
import dev.veil.gateway.auth.DnsResolver;
import dev.veil.gateway.auth.SenderAuthenticator;
import dev.veil.gateway.core.ArcKey;
import dev.veil.gateway.pipeline.ArcSealStep;
import dev.veil.gateway.pipeline.AuthenticateStep;
import dev.veil.gateway.pipeline.EncryptStep;
import dev.veil.gateway.pipeline.MailStep;
import dev.veil.gateway.pipeline.MessageProcessor;
import dev.veil.gateway.pipeline.PassStep;
import dev.veil.gateway.pipeline.PipelineCoverage;
import dev.veil.gateway.pipeline.PipelineSteps;
import dev.veil.gateway.pipeline.PseudonymiseStep;
import dev.veil.gateway.pipeline.RejectStep;
import dev.veil.gateway.pipeline.RelayStep;
import dev.veil.gateway.pipeline.RestoreCorrespondentsStep;
import dev.veil.gateway.pipeline.SkipEncryptedStep;
import dev.veil.gateway.relay.DeliveryStatusNotification;
import dev.veil.gateway.relay.DirectoryUpstream;
import dev.veil.gateway.relay.SmtpUpstream;
import dev.veil.gateway.relay.Upstream;
import dev.veil.gateway.resources.AdminTokenFilter;
import dev.veil.gateway.resources.AuditServlet;
import dev.veil.gateway.resources.PolicyServlet;
import dev.veil.gateway.resources.QueueServlet;
import dev.veil.gateway.smtp.ClientCertificates;
import dev.veil.gateway.smtp.SmtpListener;
import io.dropwizard.core.Application;
import io.dropwizard.core.cli.ServerCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.lifecycle.Managed;
import jakarta.servlet.DispatcherType;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Veil: wires the gateway together. SMTP listener -> spool -> queue runner -> pipeline steps -> upstream, and for
 * mail leaving the business outbound listener -> the same spool and runner -> outbound pipeline -> outbound relay;
 * the admin port (loopback, token) shows the queue and health.
 */
public class VeilApplication extends Application<VeilConfiguration> {
    private static final Logger LOG = LoggerFactory.getLogger(VeilApplication.class);
    private volatile SmtpListener smtp;
    private volatile SmtpListener outboundSmtp;
    private volatile QueueRunner runner;
    private volatile Database database;
    private volatile Reidentifier reidentifier;

    public static void main(String[] args) throws Exception {
        new VeilApplication().run(args);
    }

    @Override
    public String getName() {
        return "veil";
    }

    /**
     * Dropwizard's defaults with Veil's own {@code check} in place of Dropwizard's, which reads config.yml only. Here
     * and not in {@link #initialize}: argparse refuses a second command named "check".
     */
    @Override
    protected void addDefaultCommands(Bootstrap<VeilConfiguration> bootstrap) {
        bootstrap.addCommand(new ServerCommand<>(this));
        bootstrap.addCommand(new CheckCommand());
    }

    @Override
    public void initialize(Bootstrap<VeilConfiguration> bootstrap) {
        bootstrap.addCommand(new KeysCommand());
        bootstrap.addCommand(new PolicyCommand());
        bootstrap.addCommand(new DecryptCommand());
        bootstrap.addCommand(new HashPasswordCommand());
        bootstrap.addCommand(new ContactsCommand());
    }

    @Override
    public void run(VeilConfiguration config, Environment environment) throws Exception {
        quietenAddressParseLogs(config);
        // settings that stop the start are judged before anything is made (upstream() and outboundRelay() rely on
        // it): a probe's refused relay settings came after a master key, a CA and an escrow key had been generated
        // for a server that never ran
        config.getUpstream().requireHost("upstream");
        config.getOutbound().getRelay().requireHost("outbound.relay");
        List<String> onLoopback = config.keepUnboundConnectorsOnLoopback(); // before Dropwizard builds its server
        if (!onLoopback.isEmpty()) {
            LOG.info("HTTP connector(s) without a bindHost listen on 127.0.0.1 only: {}", onLoopback);
        }
        boolean newDataDir = !Files.isDirectory(config.dataPath());
        Path data = Files.createDirectories(config.dataPath());
        if (newDataDir) {
            PrivateDirectories.restrict(data); // one created here is Veil's alone; an existing one keeps its mode
        }
        String hostname = hostname(config.getSmtp());
        Clock clock = Clock.systemUTC();
        MetricRegistry metrics = environment.metrics();

        PolicyHolder policies = new PolicyHolder(config.policyPath(), new NamedKeyFiles(data));
        policies.writeExampleIfMissing();
        policies.reload();
        environment.lifecycle().manage(new PolicyWatcher(policies, 1000, 5000));

        database = config.getDatabaseUrl().isBlank() ? Database.openEmbedded(data) : Database.open(config.getDatabaseUrl());
        Database db = database;
        environment.lifecycle().manage(new Managed() {
            @Override
            public void stop() {
                db.close();
            }
        });
        SpoolDao spoolDao = new SpoolDao(db);
        AuditDao auditDao = new AuditDao(db);
        Spool spool = new Spool(data.resolve("spool"), spoolDao, clock);

        KeyService keys = KeyService.start(data, System.getenv(), policies, config.getWkd());
        environment.lifecycle().manage(new RevocationListRefresher(keys));
        if (config.getQueue().isCipherWarmUp()) {
            startCipherWarmUp();
        }
        Upstream upstream = upstream(config, hostname);
        Upstream outboundRelay = outboundRelay(config, hostname);
        environment.lifecycle().manage(new Managed() {
            @Override
            public void stop() {
                upstream.close();
                outboundRelay.close();
            }
        });
        AliasJournal aliasJournal = new AliasJournal(data.resolve("db").resolve("aliases.journal"));
        AliasDao aliasDao = new AliasDao(db, aliasJournal);
        int restoredAliases = aliasDao.restoreFromJournal();
        if (restoredAliases > 0) {
            LOG.warn("recovery: {} alias(es) the database had lost put back from {}", restoredAliases,
                    aliasJournal.file());
        }
        environment.lifecycle().manage(new io.dropwizard.lifecycle.Managed() {
            @Override
            public void stop() {
                aliasJournal.close();
            }
        });
        AliasDirectory aliases = new AliasDirectory(aliasDao, keys::pseudonymiser, clock);
        SentMessageIdDao sentIds = new SentMessageIdDao(db);
        MessageIdPartyDao idParties = new MessageIdPartyDao(db);
        MessagePartyWriter partyWriter = new MessagePartyWriter(idParties, clock);
        environment.lifecycle().manage(partyWriter);
        environment.lifecycle().manage(new SentIdPruner(sentIds, idParties, config.getOutbound().getKeepSentIds(),
                clock));
        HeaderPseudonymiser correspondents = new HeaderPseudonymiser(aliases, keys::pseudonymiser, sentIds::sentAmong,
                Map.of(DeliveryStatusNotification.sender(hostname), DeliveryStatusNotification.SENDER_NAME));
        Reidentifier reidentifier = reidentifier(aliases, policies, keys);
        this.reidentifier = reidentifier;

        String authservId = config.getAuth().getAuthservId().isBlank() ? hostname : config.getAuth().getAuthservId();
        // only a pipeline that authenticates or seals needs DNS (a host without resolvers can still run the rest)
        DnsResolver dns = config.needsDns()
                ? new DnsResolver(config.getAuth().getDnsServers(), config.getAuth().getDnsTimeout().toJavaDuration())
                : null;
        // before the key is made: a start that fails on the setting leaves no new key behind
        config.getArc().requireDomainIf(config.hasStep("arc-seal"));
        // the ARC key is made on the first start whose pipeline seals (or by `veil keys arc-dns`): RSA key generation
        // costs seconds of CPU that a gateway without ARC need not spend
        ArcKey arcKey = config.hasStep("arc-seal") ? ArcKey.load(data, config.getArc()) : null;
        Map<String, Supplier<MailStep>> available = new LinkedHashMap<>();
        available.put("authenticate", () -> new AuthenticateStep(spool, new SenderAuthenticator(dns), authservId,
                arcKey == null ? null : message -> arcKey.sealer(authservId, dns).chainOf(message)));
        available.put("arc-seal", () -> new ArcSealStep(() -> arcKey.sealer(authservId, dns), spool, authservId,
                clock));
        available.put("reject", RejectStep::new);
        available.put("skip-encrypted", SkipEncryptedStep::new);
        available.put("pseudonymise", () -> new PseudonymiseStep(spool, correspondents, partyWriter));
        available.put("encrypt", () -> new EncryptStep(spool, keys::sealer, metrics.timer("encryption")));
        available.put("pass", PassStep::new);
        available.put("relay", () -> new RelayStep(upstream));
        List<MailStep> steps = PipelineSteps.build("queue.pipeline", config.getQueue().getPipeline(), available);

        // outbound: the same steps, plus restoring correspondents, and a relay to outbound.relay.* instead
        Map<String, Supplier<MailStep>> outboundSteps = new LinkedHashMap<>(available);
        outboundSteps.put("restore-correspondents",
                () -> new RestoreCorrespondentsStep(spool, new CorrespondentRestorer(reidentifier, (id, parties) -> {
                    partyWriter.flush(); // what the pseudonymise step has just recorded counts
                    return idParties.knownToAny(id, parties);
                }), sentIds, clock));
        outboundSteps.put("relay", () -> new RelayStep(outboundRelay));
        List<MailStep> outboundPipeline = PipelineSteps.build("outbound.pipeline",
                config.getOutbound().getPipeline(), outboundSteps);

        MessageProcessor processor = new MessageProcessor(spool, spoolDao, policies,
                Map.of(Direction.INBOUND, steps, Direction.OUTBOUND, outboundPipeline),
                config.getQueue(), hostname, metrics, clock, reidentifier);
        runner = new QueueRunner(spoolDao, spool, processor::process, config.getQueue(), clock);
        environment.lifecycle().manage(runner);

        Path tlsKeyStore = config.getSmtp().getTlsKeyStore().isBlank() ? null : Path.of(config.getSmtp().getTlsKeyStore());
        char[] tlsKeyStorePassword = config.getSmtp().getTlsKeyStorePassword().toCharArray();
        SSLContext tls = SelfSignedTls.serverContext(tlsKeyStore, tlsKeyStorePassword, data.resolve("tls"), hostname);
        QueueRunner queue = runner;
        // every meter exists from the start, so /metrics shows 0 rather than nothing and alert rules find them
        for (String meter : List.of("received", "received-outbound", "relayed", "deferred", "bounced", "quarantined")) {
            metrics.meter(meter);
        }
        smtp = new SmtpListener(config.getSmtp(), hostname, spool, policies, tls, id -> {
            metrics.meter("received").mark();
            queue.queued(id);
        });
        environment.lifecycle().manage(smtp);
        ClientCertificates clientCertificates = ClientCertificates.from(config.getOutbound().getClientCertificates());
        // a listener that asks for client certificates needs a context that takes them; the inbound one asks none
        SSLContext outboundTls = clientCertificates.enabled() ? SelfSignedTls.serverContext(tlsKeyStore,
                tlsKeyStorePassword, data.resolve("tls"), hostname, clientCertificates.handshakeTrust()) : tls;
        outboundSmtp = SmtpListener.outbound(config.getSmtp(), config.getOutbound(), clientCertificates, hostname,
                spool, policies, reidentifier, outboundTls, id -> {
                    metrics.meter("received-outbound").mark();
                    queue.queued(id);
                });
        environment.lifecycle().manage(outboundSmtp);

        String token = AdminToken.resolve(config.getAdminToken(), data.resolve("admin.token"));
        environment.admin().addFilter("veil-admin-token", new AdminTokenFilter(token))
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        environment.admin().addServlet("queue", new QueueServlet(spoolDao, runner, environment.getObjectMapper()))
                .addMapping("/queue", "/queue/*");
        environment.admin().addServlet("policy", new PolicyServlet(policies, environment.getObjectMapper()))
                .addMapping("/policy", "/policy/*");
        environment.admin().addServlet("audit", new AuditServlet(auditDao, environment.getObjectMapper()))
                .addMapping("/audit");

        if (config.getGraph().periodicSync()) {
            ContactJournalDao journal = new ContactJournalDao(db, clock);
            ContactSync contacts = new ContactSync(GraphClient.open(config.getGraph(), environment.getObjectMapper()),
                    ContactProtectors.open(() -> policies.get() == null ? null : policies.get().contacts(),
                            keys::pseudonymiser, db, clock),
                    new ContactMapping(ContactMapping.Dialect.of(config.getGraph().getBaseUrl())), journal);
            environment.lifecycle().manage(new ContactSyncRunner(contacts, journal, config.getGraph().getMailboxes(),
                    config.getGraph().getSyncInterval()));
        }

        environment.healthChecks().register("spool", new SpoolHealthCheck(spool.incomingDirectory(),
                spool.queueDirectory(), config.getSmtp().getMaxMessageSize().toBytes()));
        environment.healthChecks().register("database", new DatabaseHealthCheck(db));
        environment.healthChecks().register("keys", new KeysHealthCheck(keys::healthProblem));
        environment.healthChecks().register("upstream", new UpstreamHealthCheck(upstream));
        environment.healthChecks().register("outbound-relay", new UpstreamHealthCheck(outboundRelay));
        Map<Direction, List<String>> pipelines = config.pipelines();
        if (policies.get() != null) {
            PipelineCoverage.gaps(policies.get(), pipelines).forEach(gap -> LOG.warn("policy and pipeline: {}", gap));
        }
        environment.healthChecks().register("policy", new PolicyHealthCheck(policies, pipelines));
    }

    private static Upstream upstream(VeilConfiguration config, String hostname) throws Exception {
        UpstreamSettings settings = config.getUpstream();
        if (settings.getMode() == UpstreamSettings.Mode.smtp) {
            String helo = settings.getHeloName().isBlank() ? hostname : settings.getHeloName();
            return new SmtpUpstream(settings, helo, "upstream");
        }
        LOG.warn("no real upstream is configured (upstream.mode: directory): relayed mail is written to {}",
                config.upstreamDirectory());
        return new DirectoryUpstream(config.upstreamDirectory());
    }

    /**
     * The one place the Reidentifier is made: aliases resolve through the alias directory the inbound
     * {@code pseudonymise} step fills, Message-ID tokens with the pseudonym keys; an address in an alias domain
     * that resolves to nothing is refused (550 5.1.1).
     */
    static Reidentifier reidentifier(AliasDirectory aliases, PolicyHolder policies, KeyService keys) {
        return new VaultReidentifier(aliases, policies, keys::pseudonymiser);
    }

    private static Upstream outboundRelay(VeilConfiguration config, String hostname) throws Exception {
        UpstreamSettings settings = config.getOutbound().getRelay();
        if (settings.getMode() == UpstreamSettings.Mode.smtp) {
            String helo = settings.getHeloName().isBlank() ? hostname : settings.getHeloName();
            return new SmtpUpstream(settings, helo, "outbound.relay");
        }
        LOG.warn("no real outbound relay is configured (outbound.relay.mode: directory): outbound mail is written to {}",
                config.outboundDirectory());
        return new DirectoryUpstream(config.outboundDirectory());
    }

    private static String hostname(SmtpSettings smtp) {
        if (!smtp.getHostname().isBlank()) {
            return smtp.getHostname();
        }
        try {
            // the machine's name; its DNS form when that is a fully qualified name of this machine (a reverse lookup
            // of a loopback address gives "localhost", which names every machine)
            InetAddress local = InetAddress.getLocalHost();
            String name = local.getHostName();
            String canonical = local.getCanonicalHostName();
            boolean qualified = canonical.contains(".") && !canonical.startsWith("localhost")
                    && !canonical.equals(local.getHostAddress());
            return qualified ? canonical : name;
        } catch (Exception e) {
            return "localhost";
        }
    }

    /** The SMTP listener's port once running (tests use port 0). */
    public int smtpPort() {
        return smtp.port();
    }

    /** The outbound listener's port once running. */
    public int outboundSmtpPort() {
        return outboundSmtp.port();
    }

    /** Runs {@link dev.veil.crypto.AesWarmUp} in the background: mail is accepted meanwhile, only a little slower. */
    private static void startCipherWarmUp() {
        Thread warmUp = new Thread(() -> {
            try {
                java.time.Duration took = dev.veil.crypto.AesWarmUp.run(3000);
                LOG.info("AES warm-up done in {} ms", took.toMillis());
            } catch (java.security.GeneralSecurityException | RuntimeException e) {
                // only speed is at stake: encryption itself does not depend on it
                LOG.warn("AES warm-up failed: {}", e.toString());
            }
        }, "veil-cipher-warm-up");
        warmUp.setDaemon(true);
        warmUp.setPriority(Thread.MIN_PRIORITY);
        warmUp.start();
    }

    public QueueRunner queueRunner() {
        return runner;
    }

    /** Aliases and Message-ID tokens back to the real ones, for mail leaving the business. */
    public Reidentifier reidentifier() {
        return reidentifier;
    }

    public Database database() {
        return database;
    }

    /**
     * James logs every MAIL or RCPT address it cannot parse at INFO with the whole exception (a black-box probe counted
     * some 50 lines each); the client hears 501/553 and Veil's own log has the command. Unless {@code logging.loggers}
     * names these loggers, they log only warnings, so a client cannot fill the log with stack traces.
     */
    private static void quietenAddressParseLogs(VeilConfiguration config) {
        java.util.Map<String, ?> configured = config.getLoggingFactory()
                instanceof io.dropwizard.logging.common.DefaultLoggingFactory logging ? logging.getLoggers() : java.util.Map.of();
        for (Class<?> handler : List.of(org.apache.james.protocols.smtp.core.MailCmdHandler.class,
                org.apache.james.protocols.smtp.core.RcptCmdHandler.class)) {
            if (!configured.containsKey(handler.getName())) {
                ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(handler))
                        .setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }
    }
}
