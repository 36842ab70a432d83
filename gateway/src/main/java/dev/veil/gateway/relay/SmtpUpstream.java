package dev.veil.gateway.relay;

import dev.veil.gateway.UpstreamSettings;
import dev.veil.gateway.core.QueueId;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedDeque;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPMessage;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Relays to a smart host (Exchange Online: {@code TENANT.mail.protection.outlook.com:25}) with Jakarta Mail.
 * Connections are kept open and reused across messages; each worker takes one from the pool. The message file is
 * streamed as it is — never parsed or re-encoded.
 */
public final class SmtpUpstream implements Upstream {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SmtpUpstream.class);
    private final UpstreamSettings settings;
    private final Session session;
    private final ConcurrentLinkedDeque<SMTPTransport> idle = new ConcurrentLinkedDeque<>();
    private final java.util.Optional<jakarta.mail.PasswordAuthentication> credentials;

    public SmtpUpstream(UpstreamSettings settings, String heloName) throws Exception {
        this(settings, heloName, "upstream");
    }

    /** @param setting where {@code settings} are ({@code upstream}, {@code outbound.relay}), for messages */
    public SmtpUpstream(UpstreamSettings settings, String heloName, String setting) throws Exception {
        this.settings = settings;
        this.credentials = settings.credentials(setting);
        Properties p = new Properties();
        p.put("mail.smtp.host", settings.getHost());
        p.put("mail.smtp.port", Integer.toString(settings.getPort()));
        p.put("mail.smtp.localhost", heloName);
        p.put("mail.smtp.connectiontimeout", Long.toString(settings.getConnectTimeout().toMilliseconds()));
        p.put("mail.smtp.timeout", Long.toString(settings.getReadTimeout().toMilliseconds()));
        p.put("mail.smtp.writetimeout", Long.toString(settings.getReadTimeout().toMilliseconds()));
        p.put("mail.smtp.sendpartial", "true");
        p.put("mail.smtp.quitwait", "false");
        switch (settings.getTls()) {
            case none -> p.put("mail.smtp.starttls.enable", "false");
            case starttls -> p.put("mail.smtp.starttls.enable", "true");
            case required -> {
                p.put("mail.smtp.starttls.enable", "true");
                p.put("mail.smtp.starttls.required", "true");
            }
        }
        if (settings.getTls() != UpstreamSettings.Tls.none) {
            p.put("mail.smtp.ssl.protocols", "TLSv1.3 TLSv1.2");
            p.put("mail.smtp.ssl.checkserveridentity", Boolean.toString(settings.isVerifyHostname()));
            if (!settings.getTrustStore().isBlank()) {
                p.put("mail.smtp.ssl.socketFactory", trustingSocketFactory(settings));
            }
        }
        if (credentials.isPresent()) {
            p.put("mail.smtp.auth", "true");
            // PLAIN or LOGIN, inside the TLS that credentials() requires; never a mechanism Veil was not told of
            p.put("mail.smtp.auth.mechanisms", "PLAIN LOGIN");
        }
        this.session = Session.getInstance(p);
    }

    private static javax.net.ssl.SSLSocketFactory trustingSocketFactory(UpstreamSettings settings) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        try (InputStream in = Files.newInputStream(Path.of(settings.getTrustStore()))) {
            trust.load(in, settings.getTrustStorePassword().toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context.getSocketFactory();
    }

    @Override
    public void send(QueueId id, OutgoingMessage message, String sender, List<String> recipients)
            throws TemporaryFailureException, PermanentFailureException, PartialDeliveryException {
        Address[] to = addresses(recipients);
        SMTPMessage raw = new RawFileMessage(session, message);
        raw.setEnvelopeFrom(sender.isEmpty() ? "<>" : sender);
        SMTPTransport transport = idle.pollFirst();
        boolean reused = transport != null;
        try {
            if (transport == null) {
                transport = connect();
            }
            try {
                declareBody(raw, transport, message);
                transport.sendMessage(raw, to);
            } catch (MessagingException e) {
                // a pooled connection's EHLO reply may be old (its limit raised since): a fresh one decides on SIZE too
                if (!reused || e instanceof SendFailedException) {
                    throw e;
                }
                // a pooled connection may have been closed by the server while idle: one fresh try
                closeQuietly(transport);
                transport = connect();
                declareBody(raw, transport, message);
                transport.sendMessage(raw, to);
            }
            idle.addFirst(transport);
        } catch (TooBigForServer e) {
            idle.addFirst(transport); // refused before MAIL FROM, on a fresh EHLO: the connection is as good as before
            // the reply names no host: a bounce to an outside sender carries it (the log says which relay)
            LOG.warn("{}: {} octets, over the SIZE limit of {}", id, e.size, describe());
            throw new PermanentFailureException(e.getMessage(), e);
        } catch (SendFailedException e) {
            closeQuietly(transport);
            throwClassified(e, recipients);
        } catch (MessagingException e) {
            closeQuietly(transport);
            throw new TemporaryFailureException(describe() + ": " + withoutReply(rootMessage(e)), e);
        }
    }

    /**
     * {@code BODY=8BITMIME} on MAIL FROM for a message with 8-bit octets, where the server offers it (RFC 6152 3: a
     * black-box probe's 8-bit reply went out without it). A server that does not offer it gets the message as before.
     */
    private void declareBody(SMTPMessage raw, SMTPTransport transport, OutgoingMessage message)
            throws MessagingException {
        try {
            List<String> parameters = new ArrayList<>(2);
            if (transport.supportsExtension("SIZE")) {
                long size = message.size();
                long limit = sizeLimit(transport.getExtensionParameter("SIZE"));
                if (limit > 0 && size > limit) {
                    throw new TooBigForServer(size, "552 5.3.4 Message size " + size + " (as Veil sends it) exceeds"
                            + " the fixed maximum message size of " + limit + " octets of the next server (SIZE in its"
                            + " EHLO reply)");
                }
                parameters.add("SIZE=" + size);
            }
            if (transport.supportsExtension("8BITMIME") && message.hasEightBitOctets()) {
                parameters.add("BODY=8BITMIME");
            }
            raw.setMailExtension(parameters.isEmpty() ? null : String.join(" ", parameters));
        } catch (java.io.IOException e) {
            throw new MessagingException("cannot read the message: " + e.getMessage(), e);
        }
    }

    /** The limit in a SIZE extension's parameter (RFC 1870 4); 0 when there is none or it is unreadable. */
    static long sizeLimit(String parameter) {
        if (parameter == null || !parameter.strip().matches("\\d{1,18}")) {
            return 0;
        }
        return Long.parseLong(parameter.strip());
    }

    /**
     * The server said in its EHLO reply that it takes no message this large (RFC 1870): sending it would only be
     * refused after every octet went over, so it bounces at once, and the connection stays usable.
     */
    private static final class TooBigForServer extends MessagingException {
        final long size;

        TooBigForServer(long size, String message) {
            super(message);
            this.size = size;
        }
    }

    /** Whether AUTH happened on connecting: Jakarta Mail skips it, silently, where the server does not offer it. */
    private static boolean authenticated(SMTPTransport transport) {
        return transport.supportsExtension("AUTH") || transport.supportsExtension("AUTH=LOGIN");
    }

    private SMTPTransport connect() throws MessagingException {
        SMTPTransport transport = new BulkDataSmtpTransport(session);
        if (credentials.isPresent()) {
            transport.connect(credentials.get().getUserName(), credentials.get().getPassword());
            if (!authenticated(transport)) {
                closeQuietly(transport);
                // the server may relay for Veil's address without AUTH; it did not offer it, so say so rather than
                // send unauthenticated mail it would refuse at RCPT with a less clear reply
                throw new MessagingException(describe() + " did not offer AUTH PLAIN or LOGIN after STARTTLS");
            }
        } else {
            transport.connect();
        }
        return transport;
    }

    /**
     * Works out from Jakarta Mail's report which recipients got it and which failed how, each with its own reply: a
     * recipient refused at RCPT with that reply, every other one that did not get it (accepted at RCPT, then the
     * transaction failed at DATA or at the final dot, or it never got that far) with the transaction's reply.
     */
    /**
     * Jakarta Mail's account of a connection the server closed instead of replying ({@code [EOF]}), said in words: a
     * probe's queue showed only "[EOF]". After the data was sent the server may have kept the message, and the retry
     * sends it again.
     */
    static String withoutReply(String reply) {
        return reply.startsWith("[EOF]") ? "the server closed the connection without a reply (" + reply + "); if it"
                + " had taken the data, the message may have arrived, and is sent again" : reply;
    }

    static void throwClassified(SendFailedException e, List<String> recipients)
            throws TemporaryFailureException, PermanentFailureException, PartialDeliveryException {
        List<String> permanent = new ArrayList<>();
        List<String> temporary = new ArrayList<>();
        java.util.Map<String, String> replies = new java.util.LinkedHashMap<>();
        // the server's reply itself: rootMessage would append the next exception's, another recipient's RCPT reply
        int code = e instanceof SMTPSendFailedException s ? s.getReturnCode() : -1;
        String transactionReply = withoutReply(e.getMessage() == null ? e.getClass().getSimpleName()
                : e.getMessage().trim());
        for (Exception next = e.getNextException(); next instanceof MessagingException m; next = m.getNextException()) {
            if (next instanceof SMTPAddressFailedException a) {
                String address = a.getAddress().getAddress();
                if (replies.containsKey(address)) {
                    continue;
                }
                replies.put(address, a.getMessage() == null ? transactionReply : withoutReply(a.getMessage().trim()));
                if (a.getReturnCode() >= 500) {
                    permanent.add(address);
                } else {
                    temporary.add(address);
                }
            }
        }
        List<String> delivered = new ArrayList<>();
        if (e.getValidSentAddresses() != null) {
            for (Address a : e.getValidSentAddresses()) {
                delivered.add(((InternetAddress) a).getAddress());
            }
        }
        // Recipients neither delivered nor individually refused share the transaction's fate and reply (MAIL, DATA
        // or the final dot): another recipient's RCPT reply says nothing about them, and can name that recipient.
        for (String r : recipients) {
            if (!delivered.contains(r) && !permanent.contains(r) && !temporary.contains(r)) {
                replies.put(r, transactionReply);
                if (code >= 500) {
                    permanent.add(r);
                } else {
                    temporary.add(r);
                }
            }
        }
        List<String> failed = new ArrayList<>(permanent);
        failed.addAll(temporary);
        // one reply for every recipient: the whole message failed for that reason
        boolean oneReply = delivered.isEmpty() && failed.stream().map(replies::get).distinct().count() == 1;
        String reply = failed.isEmpty() ? transactionReply : replies.get(failed.get(0));
        if (oneReply && temporary.isEmpty()) {
            throw new PermanentFailureException(reply, e);
        }
        if (oneReply && permanent.isEmpty()) {
            throw TemporaryFailureException.serverReply(reply, e);
        }
        throw new PartialDeliveryException(reply, delivered, temporary, permanent, replies);
    }

    private static Address[] addresses(List<String> recipients) throws PermanentFailureException {
        Address[] out = new Address[recipients.size()];
        for (int i = 0; i < out.length; i++) {
            if (!recipients.get(i).chars().allMatch(c -> c < 0x80)) {
                // Jakarta Mail would write each char as one byte: a misdelivery, not an error
                throw new PermanentFailureException("553 5.6.7 non-ASCII recipient address " + recipients.get(i)
                        + " needs SMTPUTF8, which Veil does not use when it relays");
            }
            try {
                InternetAddress a = new InternetAddress();
                a.setAddress(recipients.get(i));
                out[i] = a;
            } catch (RuntimeException e) {
                throw new PermanentFailureException("550 5.1.3 bad recipient address " + recipients.get(i));
            }
        }
        return out;
    }

    private static String rootMessage(Throwable e) {
        String message = e.getMessage();
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                message = message + " (" + t.getMessage() + ")";
                break;
            }
        }
        return message == null ? e.getClass().getSimpleName() : message.trim();
    }

    private static void closeQuietly(SMTPTransport transport) {
        if (transport == null) {
            return;
        }
        try {
            transport.close();
        } catch (MessagingException ignored) {
            // closing a broken connection
        }
    }

    @Override
    public String describe() {
        return "smtp " + settings.getHost() + ":" + settings.getPort() + " (tls " + settings.getTls() + ")";
    }

    @Override
    public void probe() throws Exception {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(settings.getHost(), settings.getPort()),
                    (int) settings.getConnectTimeout().toMilliseconds());
        }
    }

    @Override
    public void close() {
        SMTPTransport t;
        while ((t = idle.pollFirst()) != null) {
            closeQuietly(t);
        }
    }

    /** A message whose bytes are the outgoing message's, verbatim: Jakarta Mail only frames and dot-stuffs them. */
    private static final class RawFileMessage extends SMTPMessage {
        private final OutgoingMessage message;

        RawFileMessage(Session session, OutgoingMessage message) {
            super(session);
            this.message = message;
        }

        @Override
        public void writeTo(OutputStream out, String[] ignoreList) throws IOException {
            writeTo(out);
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            message.writeTo(out);
        }

        @Override
        public int getSize() {
            try {
                return (int) Math.min(Integer.MAX_VALUE, message.size());
            } catch (IOException e) {
                return -1;
            }
        }
    }
}
