package dev.veil.gateway.auth;

import com.google.common.net.InternetDomainName;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * DMARC (RFC 7489): finds the From domain's policy record (at {@code _dmarc.DOMAIN}, else at its organizational
 * domain's) and passes the message when SPF or DKIM passed for an identifier aligned with the From domain —
 * relaxed alignment compares organizational domains (the Public Suffix List, through Guava), strict ones the exact
 * names. pct is not sampled: a record's policy applies to every failing message.
 */
public final class DmarcEvaluator {
    private final DnsResolver dns;

    public DmarcEvaluator(DnsResolver dns) {
        this.dns = dns;
    }

    /**
     * The verdict, and the disposition the From domain asks for when it failed ({@code NONE} when it passed or
     * published nothing).
     */
    public record Verdict(DmarcResult result, String fromDomain, DmarcRecord.Disposition policy, String reason) {
    }

    /**
     * @param fromDomain the domain of the message's single From address (ASCII, lower case); empty when the message
     *                   does not have exactly one
     * @param spfDomain  the domain SPF checked (MAIL FROM's, or HELO's for the null sender)
     */
    public Verdict evaluate(String fromDomain, SpfResult spf, String spfDomain, List<DkimChecker.Result> dkim) {
        if (fromDomain.isEmpty()) {
            return new Verdict(DmarcResult.PERMERROR, "", DmarcRecord.Disposition.NONE,
                    "the message does not have exactly one From address");
        }
        Found found;
        try {
            found = policyRecord(fromDomain);
        } catch (DnsTemporaryException e) {
            return new Verdict(DmarcResult.TEMPERROR, fromDomain, DmarcRecord.Disposition.NONE, e.getMessage());
        }
        if (found.record() == null) {
            return new Verdict(DmarcResult.NONE, fromDomain, DmarcRecord.Disposition.NONE, found.why());
        }
        DmarcRecord record = found.record();
        boolean spfAligned = spf == SpfResult.PASS && aligned(spfDomain, fromDomain, record.strictSpf());
        boolean dkimAligned = dkim.stream().anyMatch(r -> r.status() == DkimChecker.Status.PASS
                && aligned(r.domain(), fromDomain, record.strictDkim()));
        if (spfAligned || dkimAligned) {
            return new Verdict(DmarcResult.PASS, fromDomain, DmarcRecord.Disposition.NONE,
                    spfAligned ? "aligned SPF pass" : "aligned DKIM pass");
        }
        // a check that could not be completed might have passed: try again later rather than judge now
        boolean spfCouldAlign = spf == SpfResult.TEMPERROR && aligned(spfDomain, fromDomain, record.strictSpf());
        boolean dkimCouldAlign = dkim.stream().anyMatch(r -> r.status() == DkimChecker.Status.TEMPERROR
                && aligned(r.domain(), fromDomain, record.strictDkim()));
        if (spfCouldAlign || dkimCouldAlign) {
            return new Verdict(DmarcResult.TEMPERROR, fromDomain, DmarcRecord.Disposition.NONE,
                    "an aligned " + (spfCouldAlign ? "SPF" : "DKIM") + " check had a temporary DNS error");
        }
        DmarcRecord.Disposition policy = found.organizational() ? record.subdomainPolicy() : record.policy();
        return new Verdict(DmarcResult.FAIL, fromDomain, policy, "no aligned SPF or DKIM pass");
    }

    /** The policy record that applies, or none ({@code record} null) and why. */
    private record Found(DmarcRecord record, boolean organizational, String why) {
    }

    /**
     * Policy discovery, RFC 7489 section 6.6.3: the From domain's DMARC records (TXT records starting with v=DMARC1),
     * or, only when it has none at all, its organizational domain's. Several records, or one without a usable p=
     * (and no rua=), mean DMARC is not applied; they are not a reason to ask the organizational domain.
     */
    private Found policyRecord(String fromDomain) throws DnsTemporaryException {
        String domain = fromDomain;
        List<String> records = dmarcRecords(domain);
        if (records.isEmpty() && !organizationalDomain(fromDomain).equals(fromDomain)) {
            domain = organizationalDomain(fromDomain);
            records = dmarcRecords(domain);
        }
        if (records.isEmpty()) {
            return new Found(null, false, "no DMARC record");
        }
        if (records.size() > 1) {
            return new Found(null, false, records.size() + " DMARC records at _dmarc." + domain
                    + ": DMARC is not applied (RFC 7489 6.6.3)");
        }
        Optional<DmarcRecord> record = DmarcRecord.parse(records.get(0));
        if (record.isEmpty()) {
            return new Found(null, false, "the DMARC record at _dmarc." + domain
                    + " has no valid p=: DMARC is not applied (RFC 7489 6.6.3)");
        }
        return new Found(record.get(), !domain.equals(fromDomain), "");
    }

    /** The TXT records at {@code _dmarc.DOMAIN} that start with v=DMARC1: the candidates (section 6.6.3 step 2). */
    private List<String> dmarcRecords(String domain) throws DnsTemporaryException {
        List<String> records = new ArrayList<>();
        for (String txt : dns.txt("_dmarc." + domain)) {
            if (DmarcRecord.isDmarc(txt)) {
                records.add(txt);
            }
        }
        return records;
    }

    /** Whether an authenticated domain is aligned with the From domain. */
    public static boolean aligned(String authenticated, String fromDomain, boolean strict) {
        if (authenticated == null || authenticated.isEmpty()) {
            return false;
        }
        String a = normalise(authenticated);
        String f = normalise(fromDomain);
        return strict ? a.equals(f) : organizationalDomain(a).equals(organizationalDomain(f));
    }

    /**
     * The registered domain (one label below the public suffix): {@code mail.example.co.uk} → {@code example.co.uk}.
     * Names under no known public suffix (e.g. {@code .example}, {@code .test}) keep their last two labels.
     */
    public static String organizationalDomain(String domain) {
        String d = normalise(domain);
        try {
            InternetDomainName name = InternetDomainName.from(d);
            if (name.isUnderPublicSuffix()) {
                return name.topPrivateDomain().toString();
            }
            if (name.isPublicSuffix()) {
                return d;
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            // not a syntactically valid name for Guava: fall back to the labels
        }
        String[] labels = d.split("\\.");
        return labels.length <= 2 ? d : labels[labels.length - 2] + "." + labels[labels.length - 1];
    }

    private static String normalise(String domain) {
        String d = domain.strip().toLowerCase(Locale.ROOT);
        return d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
    }
}
