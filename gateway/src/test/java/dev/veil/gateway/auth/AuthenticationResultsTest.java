package dev.veil.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.crypto.HeaderBlock;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Authentication-Results field (RFC 8601) Veil writes, and how it recognises fields claiming its name. */
class AuthenticationResultsTest {

    private static AuthVerdict verdict(String sender, List<DkimChecker.Result> dkim, DmarcResult dmarc) {
        return new AuthVerdict(new SpfEvaluator.Verdict(SpfResult.PASS, "mailfrom", sender, ""), dkim,
                new DmarcEvaluator.Verdict(dmarc, "partner.example",
                        dmarc == DmarcResult.FAIL ? DmarcRecord.Disposition.REJECT : DmarcRecord.Disposition.NONE, ""));
    }

    @Test
    void formatsEveryMethodFoldedWithTheAuthservId() {
        AuthVerdict v = verdict("bob@partner.example", List.of(
                new DkimChecker.Result(DkimChecker.Status.PASS, "partner.example", "sel1", "abcdEFGH", ""),
                new DkimChecker.Result(DkimChecker.Status.FAIL, "esp.example", "s2", "zzzz1234", "body hash mismatch")),
                DmarcResult.PASS);
        assertThat(AuthenticationResults.field("veil.example.com", v)).isEqualTo("""
                Authentication-Results: veil.example.com;\r
                \tspf=pass smtp.mailfrom=bob@partner.example;\r
                \tdkim=pass header.d=partner.example header.s=sel1 header.b=abcdEFGH;\r
                \tdkim=fail reason="body hash mismatch" header.d=esp.example header.s=s2 header.b=zzzz1234;\r
                \tdmarc=pass header.from=partner.example\r
                """);
    }

    @Test
    void anUnsignedMessageIsDkimNoneAndAFailureNamesThePolicy() {
        String field = AuthenticationResults.field("veil", verdict("bob@partner.example", List.of(), DmarcResult.FAIL));
        assertThat(field).contains("dkim=none;").contains("dmarc=fail policy.dmarc=reject header.from=partner.example");
    }

    @Test
    void valuesASenderChoseAreQuotedSoTheyCannotAddResults() {
        String field = AuthenticationResults.field("veil",
                verdict("\"x; dkim=pass\"@partner.example", List.of(), DmarcResult.NONE));
        assertThat(field).contains("smtp.mailfrom=\"\\\"x; dkim=pass\\\"@partner.example\"");
        assertThat(field.lines().filter(l -> l.contains("dkim=pass")).toList()).hasSize(1);
    }

    @Test
    void recognisesFieldsClaimingOurAuthservIdWhateverTheirSpelling() {
        HeaderBlock h = HeaderBlock.parse(("Authentication-Results: (comment) VEIL.example.com; spf=pass\r\n"
                + "authentication-results: veil.example.com 1; dkim=pass\r\n"
                + "Authentication-Results: mx.other.example; dkim=pass\r\n"
                + "Authentication-Results: veil.example.community; dkim=pass\r\n"
                + "ARC-Authentication-Results: i=1; veil.example.com; dkim=pass\r\n"
                + "Authentication-Results: veil.example.com.; dkim=pass\r\n"
                // RFC 8601 2.2: a quoted string, its quoted pairs standing for their characters (a probe's was kept)
                + "Authentication-Results: \"v\\eil.example.com\"; dmarc=pass\r\n"
                + "Authentication-Results: \"veil.example.com\" ; dmarc=pass\r\n"
                + "Authentication-Results: \"veil.example.com x\"; dmarc=pass\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(h.fields().stream().map(f -> AuthenticationResults.claimsToBe(f, "veil.example.com")).toList())
                .containsExactly(true, true, false, false, false, true, true, true, false);
        // what the most lenient reader could take for ours goes too (a black-box probe's were kept)
        for (String forged : List.of("\"veil.example.com\\ \"", "\" veil.example.com\"", "\"veil.\"example.com",
                "veil.\"example.com\"", "=?us-ascii?q?veil.example.com?=", "veil.example.com\u0000",
                "veil\uFF0Eexample.com", "\"veil.example.com\\\r\n \"")) {
            HeaderBlock one = HeaderBlock.parse(("Authentication-Results: " + forged + "; dmarc=pass\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(AuthenticationResults.claimsToBe(one.fields().get(0), "veil.example.com")).as(forged).isTrue();
        }
    }

    @Test
    void resultsWithoutIdentitiesNameNoSenderDomainSelectorOrReason() {
        AuthVerdict v = verdict("bob@partner.example", List.of(
                new DkimChecker.Result(DkimChecker.Status.PASS, "partner.example", "sel1", "abcdEFGH", ""),
                new DkimChecker.Result(DkimChecker.Status.FAIL, "esp.example", "s2", "zzzz1234",
                        "no key at s2._domainkey.esp.example")), DmarcResult.FAIL);

        assertThat(AuthenticationResults.field("veil.example.com", AuthenticationResults.resultsWithoutIdentities(v)))
                .isEqualTo("""
                Authentication-Results: veil.example.com;\r
                \tspf=pass;\r
                \tdkim=pass;\r
                \tdkim=fail;\r
                \tdmarc=fail policy.dmarc=reject\r
                """);
    }
}
