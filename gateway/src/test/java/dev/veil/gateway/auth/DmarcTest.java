package dev.veil.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** DMARC record parsing (RFC 7489 6.3) and identifier alignment (3.1). */
class DmarcTest {

    @Test
    void parsesThePolicyTags() {
        DmarcRecord r = DmarcRecord.parse("v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=50; rua=mailto:d@x.example")
                .orElseThrow();
        assertThat(r).isEqualTo(new DmarcRecord(DmarcRecord.Disposition.REJECT, DmarcRecord.Disposition.QUARANTINE,
                true, false, 50));
    }

    @Test
    void defaultsAreRelaxedFullAndSubdomainsLikeTheDomain() {
        assertThat(DmarcRecord.parse("v=DMARC1;p=quarantine").orElseThrow()).isEqualTo(new DmarcRecord(
                DmarcRecord.Disposition.QUARANTINE, DmarcRecord.Disposition.QUARANTINE, false, false, 100));
        assertThat(DmarcRecord.parse("V = DMARC1 ; P = None").orElseThrow().policy())
                .isEqualTo(DmarcRecord.Disposition.NONE);
    }

    @Test
    void notDmarcOrWithoutAUsablePolicyIsNoRecord() {
        assertThat(DmarcRecord.parse("v=spf1 -all")).isEmpty();
        assertThat(DmarcRecord.parse("p=reject; v=DMARC1")).isEmpty(); // v= must come first
        assertThat(DmarcRecord.parse("v=DMARC1; p=bounce")).isEmpty();
        assertThat(DmarcRecord.parse("v=DMARC1")).isEmpty();
        // section 6.6.3: an invalid p= with a valid rua= is p=none
        assertThat(DmarcRecord.parse("v=DMARC1; p=bounce; rua=mailto:d@x.example").orElseThrow().policy())
                .isEqualTo(DmarcRecord.Disposition.NONE);
    }

    @Test
    void relaxedAlignmentComparesOrganizationalDomains() {
        assertThat(DmarcEvaluator.aligned("mail.partner.example", "partner.example", false)).isTrue();
        assertThat(DmarcEvaluator.aligned("bounces.news.example.co.uk", "example.co.uk", false)).isTrue();
        assertThat(DmarcEvaluator.aligned("PARTNER.example.", "partner.example", false)).isTrue();
        assertThat(DmarcEvaluator.aligned("other.example", "partner.example", false)).isFalse();
        // co.uk is a public suffix: two different registrations below it are not aligned
        assertThat(DmarcEvaluator.aligned("a.co.uk", "b.co.uk", false)).isFalse();
        assertThat(DmarcEvaluator.aligned("", "partner.example", false)).isFalse();
    }

    @Test
    void strictAlignmentNeedsTheSameName() {
        assertThat(DmarcEvaluator.aligned("partner.example", "partner.example", true)).isTrue();
        assertThat(DmarcEvaluator.aligned("mail.partner.example", "partner.example", true)).isFalse();
    }

    @Test
    void organizationalDomainsFollowThePublicSuffixList() {
        assertThat(DmarcEvaluator.organizationalDomain("a.b.example.co.uk")).isEqualTo("example.co.uk");
        assertThat(DmarcEvaluator.organizationalDomain("mail.example.com")).isEqualTo("example.com");
        assertThat(DmarcEvaluator.organizationalDomain("x.y.partner.example")).isEqualTo("partner.example");
    }
}
