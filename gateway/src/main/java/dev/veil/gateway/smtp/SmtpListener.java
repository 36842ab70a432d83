package dev.veil.gateway.smtp;

import dev.veil.config.Policy;
import dev.veil.config.Direction;
import dev.veil.crypto.PasswordHash;
import dev.veil.gateway.OutboundAccount;
import dev.veil.gateway.OutboundSettings;
import dev.veil.gateway.SmtpSettings;
import dev.veil.gateway.correspondents.Reidentifier;
import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.Spool;
import io.dropwizard.lifecycle.Managed;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.apache.james.protocols.api.ClientAuth;
import org.apache.james.protocols.api.handler.CommandDispatcher;
import org.apache.james.protocols.api.handler.CommandHandlerResultLogger;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.netty.Encryption;
import org.apache.james.protocols.smtp.SMTPConfigurationImpl;
import org.apache.james.protocols.smtp.SMTPProtocol;
import org.apache.james.protocols.smtp.SMTPProtocolHandlerChain;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.HelpCmdHandler;
import org.apache.james.protocols.smtp.core.NoopCmdHandler;
import org.apache.james.protocols.smtp.core.QuitCmdHandler;
import org.apache.james.protocols.smtp.core.RsetCmdHandler;
import org.apache.james.protocols.smtp.core.UnknownCmdHandler;
import org.apache.james.protocols.smtp.core.VrfyCmdHandler;
import org.apache.james.protocols.smtp.core.WelcomeMessageHandler;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An SMTP listener (Apache James protocols): the inbound one accepts mail for protected domains, the outbound one
 * mail leaving the business from trusted submitters. Both write to the spool and answer {@code 250} once the
 * message is durable, with the same framing, limits and smuggling protection; they never see keys. The handler chain is
 * spelled out rather than taken from James's defaults: those include a hook that accepts postmaster@ and abuse@
 * of any domain (an open relay for those names) and a Received-header filter that would alter the message.
 */
public final class SmtpListener implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpListener.class);
    private final SmtpServer server;
    private final SmtpSettings settings;
    private final String name;

    /** The inbound listener: mail for the protected domains. */
    public SmtpListener(SmtpSettings settings, String hostname, Spool spool, Supplier<Policy> policy,
                        SSLContext tls, Consumer<QueueId> onQueued) throws Exception {
        this("SMTP listener", settings, settings.getBindHost(), settings.getPort(), hostname, tls, ClientAuth.NONE, false,
                new ProtectedRecipientHook(policy, settings.getMaxRecipients()), List.of(new NoSmtpUtf8()),
                address -> false, new SpoolMessageHook(spool, settings.getMaxMessageSize().toBytes(), onQueued, Direction.INBOUND,
                        null, settings.getMaxHops()),
                spool, false, () -> postmasterDomain(policy.get()));
    }

    /** Where a bare {@code RCPT TO:<postmaster>} goes: the policy's first protected domain that is not a pattern. */
    static String postmasterDomain(Policy policy) {
        return policy.domains().stream().filter(d -> !d.contains("*")).findFirst().orElse(null);
    }

    /**
     * The outbound listener: mail leaving the business, from {@code outbound.allowedNetworks} or authenticated
     * users (AUTH PLAIN/LOGIN after STARTTLS, when accounts are configured). Limits, host name and certificate are
     * the inbound listener's; alias recipients are resolved with {@code reidentifier}.
     */
    public static SmtpListener outbound(SmtpSettings limits, OutboundSettings outbound, String hostname, Spool spool,
                                        Supplier<Policy> policy, Reidentifier reidentifier, SSLContext tls,
                                        Consumer<QueueId> onQueued) throws Exception {
        return outbound(limits, outbound, ClientCertificates.none(), hostname, spool, policy, reidentifier, tls,
                onQueued);
    }

    /**
     * As above, also trusting clients by the certificates {@code certificates} accepts; {@code tls} must then judge
     * client certificates with {@link ClientCertificates#handshakeTrust()}.
     */
    public static SmtpListener outbound(SmtpSettings limits, OutboundSettings outbound, ClientCertificates certificates,
                                        String hostname, Spool spool, Supplier<Policy> policy,
                                        Reidentifier reidentifier, SSLContext tls, Consumer<QueueId> onQueued)
            throws Exception {
        if (certificates.enabled() && tls == null) {
            throw new IllegalArgumentException("outbound.clientCertificates needs STARTTLS on the outbound listener");
        }
        OutboundSubmitter submitter = new OutboundSubmitter(
                Networks.parse("outbound.allowedNetworks", outbound.getAllowedNetworks()), certificates);
        List<AccountAuthHook.Account> accounts = accounts(outbound);
        boolean auth = !accounts.isEmpty() && tls != null;
        List<ProtocolHandler> extra = new ArrayList<>();
        Map<String, AccountSenders> senders = new HashMap<>();
        accounts.forEach(account -> senders.put(account.sessionName(), account.senders()));
        extra.add(new OutboundSenderHook(submitter, policy, auth, senders));
        extra.add(new NoSmtpUtf8());
        if (auth) {
            AuthFailures failures = new AuthFailures(outbound.getMaxAuthFailuresPerClient(),
                    outbound.getAuthFailureWindow().toJavaDuration(), submitter::allowedNetwork);
            extra.add(new TlsOnlyAuthCmdHandler(failures));
            extra.add(new AccountAuthHook(accounts, failures));
        }
        return new SmtpListener("outbound SMTP listener", limits, outbound.getBindHost(), outbound.getPort(), hostname,
                tls, certificates.enabled() ? ClientAuth.WANT : ClientAuth.NONE, auth, new OutboundRecipientHook(submitter, policy, reidentifier, limits.getMaxRecipients()),
                extra, submitter::allowedNetwork,
                new SpoolMessageHook(spool, limits.getMaxMessageSize().toBytes(), onQueued, Direction.OUTBOUND,
                        new ExchangeTenantCheck(outbound.getExchangeTenants(), submitter), limits.getMaxHops()),
                spool, true, null);
    }

    /**
     * The accounts as the outbound listener reads them at start, which it refuses when a hash is unusable;
     * {@code veil check} runs it too.
     *
     * @throws IllegalArgumentException naming the account
     */
    public static void checkAccounts(OutboundSettings outbound) {
        accounts(outbound);
    }

    private static List<AccountAuthHook.Account> accounts(OutboundSettings outbound) {
        List<AccountAuthHook.Account> accounts = new ArrayList<>();
        Map<String, String> named = new HashMap<>();
        for (OutboundAccount account : outbound.getAccounts()) {
            String earlier = named.putIfAbsent(AccountAuthHook.Account.sessionName(account.getUsername()),
                    account.getUsername());
            if (earlier != null) {
                // one would silently replace the other's password
                throw new IllegalArgumentException("outbound.accounts: '" + earlier + "' and '" + account.getUsername()
                        + "' are the same user (user names compare without case)");
            }
            PasswordHash hash;
            try {
                hash = PasswordHash.parse(account.getPasswordHash());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("outbound.accounts: passwordHash of '" + account.getUsername()
                        + "': " + e.getMessage(), e);
            }
            try {
                accounts.add(new AccountAuthHook.Account(account.getUsername(), hash,
                        AccountSenders.parse(account.getSenders())));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("outbound.accounts: senders of '" + account.getUsername()
                        + "': " + e.getMessage(), e);
            }
        }
        return accounts;
    }

    private SmtpListener(String name, SmtpSettings settings, String bindHost, int port, String hostname,
                         SSLContext tls, ClientAuth clientAuth, boolean authAfterTls, RcptHook recipients, List<ProtocolHandler> extra,
                         java.util.function.Predicate<java.net.InetAddress> notCountedPerClient, SpoolMessageHook spoolHook, Spool spool, boolean outbound, Supplier<String> postmasterDomain)
            throws Exception {
        this.settings = settings;
        this.name = name;
        long maxSize = settings.getMaxMessageSize().toBytes();
        NoMetrics metrics = new NoMetrics();
        SMTPProtocolHandlerChain chain = new SMTPProtocolHandlerChain(metrics, false);
        chain.add(new CommandDispatcher<SMTPSession>());
        chain.add(new WelcomeMessageHandler());
        chain.add(new Greetings.Ehlo(metrics));
        chain.add(new Greetings.Helo(metrics));
        chain.add(new HelpCmdHandler());
        chain.add(new NoopCmdHandler());
        chain.add(new RsetCmdHandler());
        chain.add(new VrfyCmdHandler());
        chain.add(new QuitCmdHandler(metrics));
        chain.add(new KnownParametersMailCmdHandler(metrics));
        chain.add(new RelayGuardRcptCmdHandler(metrics, outbound, postmasterDomain));
        chain.add(new SpoolingDataCmdHandler(metrics, spool, maxSize));
        chain.add(new DotUnstuffingDataLines());
        chain.add(new ResettingStartTlsCmdHandler());
        chain.add(new UnknownCmdHandler(metrics));
        chain.add(new CommandHandlerResultLogger());
        chain.add(new ErrorLimit(settings.getMaxErrorsPerSession(), settings.getMaxJunkCommandsPerSession()));
        chain.add(new HeloNameCheck());
        chain.add(new MessageSizeLimit(maxSize));
        extra.forEach(chain::add);
        chain.add(recipients);
        chain.add(spoolHook);
        chain.add(new DiscardAbortedData());
        chain.wireExtensibleHandlers();

        SMTPConfigurationImpl configuration = new SMTPConfigurationImpl() {
            @Override
            public String getHelloName() {
                return hostname;
            }

            @Override
            public String getGreeting() {
                return hostname + " ESMTP Veil";
            }

            @Override
            public long getMaxMessageSize() {
                return maxSize;
            }

            /** AUTH is announced only inside TLS (and only where accounts exist). */
            @Override
            public boolean isAuthAnnounced(String remoteIP, boolean tlsStarted) {
                return authAfterTls && tlsStarted;
            }

            @Override
            public boolean isPlainAuthEnabled() {
                return authAfterTls;
            }
        };
        Encryption startTls = tls == null ? null
                : Encryption.createStartTls(tls, null, new String[] {"TLSv1.3", "TLSv1.2"}, clientAuth);
        server = new SmtpServer(new SMTPProtocol(chain, configuration), startTls,
                settings.getMaxLineLength(), settings.getMaxConnections(), settings.getMaxConnectionsPerClient(),
                notCountedPerClient, settings.getMinDataRate());
        server.setListenAddresses(new InetSocketAddress(bindHost, port));
        server.setTimeout((int) Math.max(1, settings.getIdleTimeout().toSeconds()));
        server.setIoWorkerCount(settings.getIoThreads());
        server.setGracefulShutdown(true);
    }

    @Override
    public void start() throws Exception {
        server.bind();
        LOG.info("{} on {}", name, server.getListenAddresses());
    }

    @Override
    public void stop() {
        server.unbind();
    }

    /** The bound port (useful when the configured port is 0). */
    public int port() {
        return server.getListenAddresses().get(0).getPort();
    }

    public SmtpSettings settings() {
        return settings;
    }
}
