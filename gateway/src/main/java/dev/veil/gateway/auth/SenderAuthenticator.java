package dev.veil.gateway.auth;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import dev.veil.gateway.correspondents.AddressParser;
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
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sender authentication of a message as it arrived: SPF of the envelope against the client's address, DKIM of every
 * signature, DMARC of the From domain over both. One DNS resolver serves all three.
 */
public final class SenderAuthenticator {
    /** An {@code @} and the domain-like run after it: what a From field names beside the addresses it parses to. */
    private static final Pattern AT_DOMAIN = Pattern.compile("@([A-Za-z0-9][A-Za-z0-9.-]*)");
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
        String single = fromDomain(header);
        DmarcEvaluator.Verdict dmarcVerdict = !single.isEmpty()
                ? dmarc.evaluate(single, spfVerdict.result(), spfDomain, signatures)
                : everyAuthorDomain(header, spfVerdict.result(), spfDomain, signatures);
        return new AuthVerdict(spfVerdict, signatures, dmarcVerdict);
    }

    /**
     * DMARC of a message without exactly one From address (two From fields, several addresses or a group in one):
     * RFC 7489 6.6.1 lets a receiver evaluate each author domain and apply the strictest policy of those that fail.
     * Otherwise a second From naming the sender's own domain made DMARC a permerror, and a spoof of a p=reject
     * domain passed. A failure wins (with the strictest disposition), then a temporary error; only when every domain
     * passes is it a pass; with no domain to be read it stays a permerror. Two From fields of one domain are that
     * domain's verdict.
     */
    private DmarcEvaluator.Verdict everyAuthorDomain(HeaderBlock header, SpfResult spf, String spfDomain,
                                                     List<DkimChecker.Result> signatures) {
        Set<String> domains = authorDomains(header);
        if (domains.size() > MAX_AUTHOR_DOMAINS) {
            // each domain costs DNS lookups, a silent one the whole timeout: a From of 100 domains held a worker for
            // five minutes per attempt (a black-box probe's 34 such messages delayed all other mail by two minutes).
            // No genuine message names so many authors; judged as failing, with the strictest disposition, as the
            // worst of them might be (RFC 7489 6.6.1)
            return new DmarcEvaluator.Verdict(DmarcResult.FAIL, domains.iterator().next(),
                    DmarcRecord.Disposition.REJECT, "the From field names " + domains.size()
                    + " domains, more than the " + MAX_AUTHOR_DOMAINS + " Veil looks up");
        }
        DmarcEvaluator.Verdict worst = null;
        for (String domain : domains) {
            DmarcEvaluator.Verdict v = dmarc.evaluate(domain, spf, spfDomain, signatures);
            if (worst == null || rank(v) > rank(worst)
                    || rank(v) == rank(worst) && v.policy().compareTo(worst.policy()) > 0) {
                worst = v;
            }
            if (v.result() == DmarcResult.TEMPERROR) {
                break; // the message waits for DNS anyway; the other domains are looked up on its next attempt
            }
        }
        if (worst == null) {
            return dmarc.evaluate("", spf, spfDomain, signatures); // no author domain: permerror
        }
        return worst;
    }

    /** Author domains a message may name before DMARC fails it unlooked-up ({@link #everyAuthorDomain}). */
    public static final int MAX_AUTHOR_DOMAINS = 10;

    private static int rank(DmarcEvaluator.Verdict v) {
        return switch (v.result()) {
            case FAIL -> 4;
            case TEMPERROR -> 3;
            case PERMERROR -> 2;
            case NONE -> 1;
            default -> 0;
        };
    }

    /**
     * The ASCII domains of every author address in every From field, groups' members included, and of every other
     * {@code @domain} in those fields (more to check, never fewer: only a message without exactly one From address
     * comes here).
     */
    static Set<String> authorDomains(HeaderBlock header) {
        Set<String> domains = new java.util.LinkedHashSet<>();
        for (HeaderField from : header.all("From")) {
            try {
                for (InternetAddress address : InternetAddress.parseHeader(from.value(), false)) {
                    InternetAddress[] members = address.isGroup() ? address.getGroup(false)
                            : new InternetAddress[] {address};
                    for (InternetAddress member : members == null ? new InternetAddress[0] : members) {
                        addDomain(domains, member.getAddress());
                    }
                }
            } catch (AddressException | IllegalArgumentException e) {
                // read below
            }
            // as RFC 5322 reads them (a@partner.(c)example is at partner.example)
            for (String domain : rfc5322Domains(from)) {
                if (!domain.isEmpty()) {
                    domains.add(domain);
                }
            }
            // and whatever follows an @ anywhere in the field: a lenient parse of "ceo@brand.example <<broken" gives
            // an address without brand.example, which a mail program may still show as the author
            Matcher m = AT_DOMAIN.matcher(from.value());
            while (m.find()) {
                addDomain(domains, "x@" + m.group(1));
            }
            // and in its encoded words, as a mail program shows them: From: =?utf-8?b?YUBwYXJ0bmVyLmV4YW1wbGU=?= reads
            // a@partner.example (a black-box probe's got dmarc=permerror, and was delivered under dmarc-failure:
            // quarantine)
            if (from.value().contains("=?")) {
                try {
                    Matcher decoded = AT_DOMAIN.matcher(jakarta.mail.internet.MimeUtility.decodeText(from.value()));
                    while (decoded.find()) {
                        addDomain(domains, "x@" + decoded.group(1));
                    }
                } catch (java.io.UnsupportedEncodingException | RuntimeException e) {
                    // not decodable: no more to read
                }
            }
        }
        return domains;
    }

    private static void addDomain(Set<String> domains, String address) {
        String domain = asciiDomain(address);
        if (!domain.isEmpty()) {
            domains.add(domain);
        }
    }

    /** The domain of an address in ASCII and lower case, without a final dot; "" when there is none to look up. */
    private static String asciiDomain(String address) {
        int at = address == null ? -1 : address.lastIndexOf('@');
        if (at < 0 || at == address.length() - 1) {
            return "";
        }
        String domain = address.substring(at + 1).strip();
        if (domain.endsWith(".")) {
            domain = domain.substring(0, domain.length() - 1);
        }
        try {
            return IDN.toASCII(domain, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return ""; // not a domain name
        }
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

    /**
     * The ASCII domain of the single address in the single From field; "" when there is not exactly one, or when two
     * readings of the field disagree on it. Comments and spaces may stand between a domain's labels (RFC 5322 4.4:
     * {@code a@partner.(c)example} is at partner.example), which Jakarta Mail's lenient parse reads otherwise
     * ({@code partner}): a black-box probe got dmarc=none for a p=reject domain that way, and a forged pass for
     * {@code ceo@evil.example(c).partner.example}. Where the readings differ, every domain either gives is judged
     * ({@link #authorDomains}), and the worst verdict stands.
     */
    static String fromDomain(HeaderBlock header) {
        List<HeaderField> from = header.all("From");
        if (from.size() != 1) {
            return "";
        }
        String lenient;
        try {
            InternetAddress[] addresses = InternetAddress.parseHeader(from.get(0).value(), false);
            if (addresses.length != 1 || addresses[0].isGroup() || addresses[0].getAddress() == null) {
                return "";
            }
            lenient = asciiDomain(addresses[0].getAddress());
        } catch (AddressException e) {
            return "";
        }
        List<String> exact = rfc5322Domains(from.get(0));
        return exact.size() == 1 && exact.get(0).equals(lenient) ? lenient : "";
    }

    /**
     * The domains of the mailboxes in {@code field} as RFC 5322 reads them (comments and folding between labels
     * dropped, groups' members included); empty when the field cannot be read that way.
     */
    private static List<String> rfc5322Domains(HeaderField field) {
        List<String> domains = new java.util.ArrayList<>();
        try {
            for (AddressParser.Item item : AddressParser.parse(field.value())) {
                List<AddressParser.Mailbox> members = item instanceof AddressParser.Group g ? g.members()
                        : List.of((AddressParser.Mailbox) item);
                if (item instanceof AddressParser.Group) {
                    domains.add(""); // a group is never the single author
                }
                for (AddressParser.Mailbox m : members) {
                    domains.add(asciiDomain(m.address()));
                }
            }
        } catch (AddressParser.MalformedAddressException e) {
            return List.of();
        }
        return domains;
    }
}
