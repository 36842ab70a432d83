package dev.veil.tests.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.auth.DmarcEvaluator;
import dev.veil.gateway.auth.DmarcRecord;
import dev.veil.gateway.auth.DmarcResult;
import dev.veil.gateway.auth.DnsResolver;
import dev.veil.gateway.auth.SpfResult;
import dev.veil.tests.support.TestDnsServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DMARC policy discovery (RFC 7489 section 6.6.3) against a real DNS server: which record applies to mail that fails,
 * the From domain's own or its organizational domain's, and when none does. Each From domain here fails (no SPF or
 * DKIM pass), so the verdict shows which record was found.
 */
class DmarcPolicyDiscoveryTest {
    private TestDnsServer dns;
    private DmarcEvaluator dmarc;

    @BeforeEach
    void start() throws Exception {
        dns = TestDnsServer.start();
        dns.txt("_dmarc.brand.example", "v=DMARC1; p=reject; sp=quarantine");
        dmarc = new DmarcEvaluator(new DnsResolver(List.of(dns.address()), Duration.ofSeconds(2)));
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private DmarcEvaluator.Verdict failing(String fromDomain) {
        return dmarc.evaluate(fromDomain, SpfResult.FAIL, fromDomain, List.of());
    }

    @Test
    void theDomainsOwnRecordOrElseTheOrganizationalDomainsSubdomainPolicy() {
        assertThat(failing("brand.example").result()).isEqualTo(DmarcResult.FAIL);
        assertThat(failing("brand.example").policy()).isEqualTo(DmarcRecord.Disposition.REJECT);
        // no record at all at the subdomain (a TXT record that is not DMARC does not count): sp= of the parent
        dns.txt("_dmarc.news.brand.example", "v=spf1 -all");
        assertThat(failing("news.brand.example").result()).isEqualTo(DmarcResult.FAIL);
        assertThat(failing("news.brand.example").policy()).isEqualTo(DmarcRecord.Disposition.QUARANTINE);
        assertThat(failing("deep.mail.brand.example").policy()).isEqualTo(DmarcRecord.Disposition.QUARANTINE);
        // a record of its own, beside one that is not DMARC: its own applies
        dns.txt("_dmarc.shop.brand.example", "some verification token");
        dns.txt("_dmarc.shop.brand.example", "v=DMARC1; p=none");
        assertThat(failing("shop.brand.example").result()).isEqualTo(DmarcResult.FAIL);
        assertThat(failing("shop.brand.example").policy()).isEqualTo(DmarcRecord.Disposition.NONE);
    }

    /** Step 5: several records mean DMARC is not applied, not that the organizational domain's record is. */
    @Test
    void twoRecordsAtTheSubdomainMeanNoDmarcNotTheParentsPolicy() {
        dns.txt("_dmarc.two.brand.example", "v=DMARC1; p=none");
        dns.txt("_dmarc.two.brand.example", "v=DMARC1; p=none; rua=mailto:d@brand.example");
        DmarcEvaluator.Verdict verdict = failing("two.brand.example");
        assertThat(verdict.result()).isEqualTo(DmarcResult.NONE);
        assertThat(verdict.policy()).isEqualTo(DmarcRecord.Disposition.NONE);
        assertThat(verdict.reason()).contains("2 DMARC records at _dmarc.two.brand.example");

        dns.txt("_dmarc.twins.example", "v=DMARC1; p=reject");
        dns.txt("_dmarc.twins.example", "v=DMARC1; p=quarantine");
        assertThat(failing("twins.example").result()).isEqualTo(DmarcResult.NONE);
    }

    /** Step 6: a DMARC record without a valid p= (and no rua=) means no DMARC; again no asking the parent. */
    @Test
    void aSubdomainRecordWithoutAValidPolicyMeansNoDmarc() {
        dns.txt("_dmarc.broken.brand.example", "v=DMARC1; p=block");
        DmarcEvaluator.Verdict verdict = failing("broken.brand.example");
        assertThat(verdict.result()).isEqualTo(DmarcResult.NONE);
        assertThat(verdict.reason()).contains("no valid p=");
        // with rua= it counts as p=none (and applies)
        dns.txt("_dmarc.reports.brand.example", "v=DMARC1; rua=mailto:d@brand.example");
        assertThat(failing("reports.brand.example").result()).isEqualTo(DmarcResult.FAIL);
        assertThat(failing("reports.brand.example").policy()).isEqualTo(DmarcRecord.Disposition.NONE);
    }
}
