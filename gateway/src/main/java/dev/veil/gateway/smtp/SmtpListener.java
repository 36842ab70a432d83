package dev.veil.gateway.smtp;

import dev.veil.config.Policy;
import dev.veil.gateway.SmtpSettings;
import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.Spool;
import io.dropwizard.lifecycle.Managed;
import java.net.InetSocketAddress;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.apache.james.protocols.api.ClientAuth;
import org.apache.james.protocols.api.handler.CommandDispatcher;
import org.apache.james.protocols.api.handler.CommandHandlerResultLogger;
import org.apache.james.protocols.netty.Encryption;
import org.apache.james.protocols.smtp.SMTPConfigurationImpl;
import org.apache.james.protocols.smtp.SMTPProtocol;
import org.apache.james.protocols.smtp.SMTPProtocolHandlerChain;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataLineMessageHookHandler;
import org.apache.james.protocols.smtp.core.HeloCmdHandler;
import org.apache.james.protocols.smtp.core.HelpCmdHandler;
import org.apache.james.protocols.smtp.core.MailCmdHandler;
import org.apache.james.protocols.smtp.core.NoopCmdHandler;
import org.apache.james.protocols.smtp.core.QuitCmdHandler;
import org.apache.james.protocols.smtp.core.RsetCmdHandler;
import org.apache.james.protocols.smtp.core.UnknownCmdHandler;
import org.apache.james.protocols.smtp.core.VrfyCmdHandler;
import org.apache.james.protocols.smtp.core.WelcomeMessageHandler;
import org.apache.james.protocols.smtp.core.esmtp.EhloCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.StartTlsCmdHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound SMTP listener (Apache James protocols). It accepts mail for protected domains, writes it to the
 * spool and answers {@code 250} once it is durable; it never sees keys or policy actions. The handler chain is
 * spelled out rather than taken from James's defaults: those include a hook that accepts postmaster@ and abuse@
 * of any domain (an open relay for those names) and a Received-header filter that would alter the message.
 */
public final class SmtpListener implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpListener.class);
    private final SmtpServer server;
    private final SmtpSettings settings;

    public SmtpListener(SmtpSettings settings, String hostname, Spool spool, Supplier<Policy> policy,
                        SSLContext tls, Consumer<QueueId> onQueued) throws Exception {
        this.settings = settings;
        long maxSize = settings.getMaxMessageSize().toBytes();
        NoMetrics metrics = new NoMetrics();
        SMTPProtocolHandlerChain chain = new SMTPProtocolHandlerChain(metrics, false);
        chain.add(new CommandDispatcher<SMTPSession>());
        chain.add(new WelcomeMessageHandler());
        chain.add(new EhloCmdHandler(metrics));
        chain.add(new HeloCmdHandler(metrics));
        chain.add(new HelpCmdHandler());
        chain.add(new NoopCmdHandler());
        chain.add(new RsetCmdHandler());
        chain.add(new VrfyCmdHandler());
        chain.add(new QuitCmdHandler(metrics));
        chain.add(new MailCmdHandler(metrics));
        chain.add(new RelayGuardRcptCmdHandler(metrics));
        chain.add(new SpoolingDataCmdHandler(metrics, spool, maxSize));
        chain.add(new DataLineMessageHookHandler());
        chain.add(new StartTlsCmdHandler());
        chain.add(new UnknownCmdHandler(metrics));
        chain.add(new CommandHandlerResultLogger());
        chain.add(new MessageSizeLimit(maxSize));
        chain.add(new ProtectedRecipientHook(policy, settings.getMaxRecipients()));
        chain.add(new SpoolMessageHook(spool, maxSize, onQueued));
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
        };
        Encryption startTls = tls == null ? null
                : Encryption.createStartTls(tls, null, new String[] {"TLSv1.3", "TLSv1.2"}, ClientAuth.NONE);
        server = new SmtpServer(new SMTPProtocol(chain, configuration), startTls,
                settings.getMaxLineLength(), settings.getMaxConnections());
        server.setListenAddresses(new InetSocketAddress(settings.getBindHost(), settings.getPort()));
        server.setTimeout((int) Math.max(1, settings.getIdleTimeout().toSeconds()));
        server.setIoWorkerCount(settings.getIoThreads());
        server.setGracefulShutdown(true);
    }

    @Override
    public void start() throws Exception {
        server.bind();
        LOG.info("SMTP listener on {}", server.getListenAddresses());
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
