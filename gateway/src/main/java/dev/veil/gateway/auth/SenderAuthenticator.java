package dev.veil.gateway.auth;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.IDN;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Sender authentication of a message as it arrived: SPF of the envelope against the client's address, DKIM of every
 * signature, DMARC of the From domain over both. One DNS resolver serves all three.
 */
public final class SenderAuthenticator {
    private final SpfEvaluator spf;
    private final DkimChecker dkim;
    private final DmarcEvaluator dmarc;

    public SenderAuthenticator(DnsResolver dns) {
        this.spf = new SpfEvaluator(dns);
        this.dkim = new DkimChecker(dns);
        this.dmarc = new DmarcEvaluator(dns);
    }

    /**
     * @param clientAddress the SMTP client's IP address as recorded at reception ("" if unknown: SPF is then none)
     */
    public AuthVerdict authenticate(Path message, String clientAddress, String mailFrom, String helo) throws IOException {
        HeaderBlock header;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(message))) {
            header = HeaderBlock.read(in);
        }
        long bodyOffset = header.bodyOffset();
        List<DkimChecker.Result> signatures = dkim.verify(header, () -> {
            InputStream in = new BufferedInputStream(Files.newInputStream(message), 64 * 1024);
            in.skipNBytes(bodyOffset);
            return in;
        });
        SpfEvaluator.Verdict spfVerdict = spf(clientAddress, mailFrom, helo);
        String spfDomain = spfVerdict.identity().substring(spfVerdict.identity().lastIndexOf('@') + 1);
        DmarcEvaluator.Verdict dmarcVerdict = dmarc.evaluate(fromDomain(header), spfVerdict.result(), spfDomain,
                signatures);
        return new AuthVerdict(spfVerdict, signatures, dmarcVerdict);
    }

    private SpfEvaluator.Verdict spf(String clientAddress, String mailFrom, String helo) {
        if (clientAddress == null || clientAddress.isBlank()) {
            return new SpfEvaluator.Verdict(SpfResult.NONE, "mailfrom", mailFrom == null ? "" : mailFrom,
                    "the client's address was not recorded");
        }
        InetAddress client;
        try {
            client = InetAddress.getByName(clientAddress.strip()); // recorded as a literal: no lookup
        } catch (IOException e) {
            return new SpfEvaluator.Verdict(SpfResult.PERMERROR, "mailfrom", mailFrom, "bad client address");
        }
        return spf.check(client, mailFrom, helo);
    }

    /** The ASCII domain of the single address in the single From field; "" when there is not exactly one. */
    static String fromDomain(HeaderBlock header) {
        List<HeaderField> from = header.all("From");
        if (from.size() != 1) {
            return "";
        }
        try {
            InternetAddress[] addresses = InternetAddress.parseHeader(from.get(0).value(), false);
            if (addresses.length != 1 || addresses[0].isGroup() || addresses[0].getAddress() == null) {
                return "";
            }
            String address = addresses[0].getAddress();
            int at = address.lastIndexOf('@');
            if (at < 0 || at == address.length() - 1) {
                return "";
            }
            String domain = address.substring(at + 1).strip();
            if (domain.endsWith(".")) {
                domain = domain.substring(0, domain.length() - 1);
            }
            return IDN.toASCII(domain, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (AddressException | IllegalArgumentException e) {
            return "";
        }
    }
}
