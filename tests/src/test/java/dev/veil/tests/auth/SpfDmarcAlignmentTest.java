package dev.veil.tests.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.auth.AuthVerdict;
import dev.veil.gateway.auth.AuthenticationResults;
import dev.veil.gateway.auth.DmarcRecord;
import dev.veil.gateway.auth.DmarcResult;
import dev.veil.gateway.auth.DnsResolver;
import dev.veil.gateway.auth.SenderAuthenticator;
import dev.veil.gateway.auth.SpfResult;
import dev.veil.tests.support.TestDnsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the SPF result flows into DMARC alignment (RFC 7489 3.1.2) and Authentication-Results, against real DNS. */
class SpfDmarcAlignmentTest {
    @TempDir
    Path dir;
    private TestDnsServer dns;
    private SenderAuthenticator authenticator;

    @BeforeEach
    void start() throws Exception {
        dns = TestDnsServer.start();
        dns.txt("_dmarc.brand.example", "v=DMARC1; p=reject");
        dns.txt("bounces.brand.example", "v=spf1 ip4:192.0.2.1 -all");
        dns.txt("other.example", "v=spf1 ip4:192.0.2.1 -all");
        authenticator = new SenderAuthenticator(new DnsResolver(List.of(dns.address()), Duration.ofSeconds(2)));
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private AuthVerdict authenticate(String mailFrom, String helo) throws Exception {
        return authenticate("From: ceo@brand.example\r\n", mailFrom, helo);
    }

    private AuthVerdict authenticate(String from, String mailFrom, String helo) throws Exception {
        Path message = dir.resolve("m-" + System.nanoTime() + ".eml");
        Files.writeString(message, from + "To: a@example.com\r\nSubject: s\r\n\r\nbody\r\n");
        return authenticator.authenticate(message, "192.0.2.1", mailFrom, helo);
    }

    /**
     * Found by a black-box probe: a second From (or a second address, or a group) naming the sender's own domain made
     * DMARC a permerror, so a spoof of a p=reject domain passed every dmarc-failure setting. Each author domain is
     * evaluated now and the strictest failure counts (RFC 7489 6.6.1).
     */
    @Test
    void everyAuthorDomainOfASpoofWithSeveralFromAddressesIsChecked() throws Exception {
        for (String from : List.of("From: ceo@brand.example\r\nFrom: x@other.example\r\n",
                "From: x@other.example\r\nFrom: \"CEO\" <ceo@brand.example>\r\n",
                "From: \"CEO\" <ceo@brand.example>, x@other.example\r\n",
                "From: grp: ceo@brand.example;\r\n",
                "From: x@other.example\r\nFrom: ceo@brand.example <<broken\r\n")) {
            AuthVerdict spoof = authenticate(from, "x@other.example", "mx.other.example");
            assertThat(spoof.dmarc().result()).as(from).isEqualTo(DmarcResult.FAIL);
            assertThat(spoof.dmarc().fromDomain()).as(from).isEqualTo("brand.example");
            assertThat(spoof.dmarc().policy()).as(from).isEqualTo(DmarcRecord.Disposition.REJECT);
        }
        AuthVerdict twice = authenticate("From: a@brand.example\r\nFrom: b@brand.example\r\n",
                "news@bounces.brand.example", "mx.other.example");
        assertThat(twice.dmarc().result()).isEqualTo(DmarcResult.PASS);
        assertThat(authenticate("From: nobody\r\n", "x@other.example", "mx.other.example").dmarc().result())
                .isEqualTo(DmarcResult.PERMERROR);
    }

    /**
     * Each author domain costs lookups (a silent one the whole DNS timeout): a From of many domains fails DMARC without
     * any, with the strictest disposition, and after a temporary error the rest wait for the message's next attempt (a
     * black-box probe's From of 100 silent domains held a worker five minutes per attempt).
     */
    @Test
    void aFromOfManyDomainsFailsUnlookedUpAndATemporaryErrorStopsTheRest() throws Exception {
        StringBuilder many = new StringBuilder("From: ");
        for (int i = 0; i <= SenderAuthenticator.MAX_AUTHOR_DOMAINS; i++) {
            many.append(i == 0 ? "" : ", ").append("a@x").append(i).append(".example");
        }
        int before = dns.questions().size();
        AuthVerdict flood = authenticate(many + "\r\n", "x@other.example", "mx.other.example");
        assertThat(flood.dmarc().result()).isEqualTo(DmarcResult.FAIL);
        assertThat(flood.dmarc().policy()).isEqualTo(DmarcRecord.Disposition.REJECT);
        assertThat(flood.dmarc().reason()).contains("11 domains");
        assertThat(dns.questions().subList(before, dns.questions().size())).noneMatch(q -> q.contains("_dmarc"));

        dns.serverFailure("_dmarc.down1.example");
        dns.serverFailure("_dmarc.down2.example");
        before = dns.questions().size();
        AuthVerdict waiting = authenticate("From: a@down1.example, b@down2.example\r\n", "x@other.example",
                "mx.other.example");
        assertThat(waiting.dmarc().result()).isEqualTo(DmarcResult.TEMPERROR);
        assertThat(dns.questions().subList(before, dns.questions().size())).noneMatch(q -> q.contains("down2"));
    }

    @Test
    void anAlignedMailFromPassCountsAndAnUnalignedOneDoesNot() throws Exception {
        AuthVerdict aligned = authenticate("news@bounces.brand.example", "mx.other.example");
        assertThat(aligned.spf().result()).isEqualTo(SpfResult.PASS);
        assertThat(aligned.dmarc().result()).isEqualTo(DmarcResult.PASS);
        assertThat(AuthenticationResults.resultClauses(aligned)).first()
                .isEqualTo("spf=pass smtp.mailfrom=news@bounces.brand.example");

        AuthVerdict unaligned = authenticate("x@other.example", "bounces.brand.example");
        assertThat(unaligned.spf().result()).isEqualTo(SpfResult.PASS);
        assertThat(unaligned.dmarc().result()).isEqualTo(DmarcResult.FAIL);
        assertThat(AuthenticationResults.resultClauses(unaligned)).first()
                .isEqualTo("spf=pass smtp.mailfrom=x@other.example");
    }
}
