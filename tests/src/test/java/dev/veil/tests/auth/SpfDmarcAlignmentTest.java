package dev.veil.tests.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.auth.AuthVerdict;
import dev.veil.gateway.auth.AuthenticationResults;
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
        Path message = dir.resolve("m-" + System.nanoTime() + ".eml");
        Files.writeString(message, "From: ceo@brand.example\r\nTo: a@example.com\r\nSubject: s\r\n\r\nbody\r\n");
        return authenticator.authenticate(message, "192.0.2.1", mailFrom, helo);
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
