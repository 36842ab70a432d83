package dev.veil.tests.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.Direction;
import dev.veil.config.Policy;
import dev.veil.config.PolicyLoader;
import dev.veil.gateway.auth.DnsResolver;
import dev.veil.gateway.auth.SenderAuthenticator;
import dev.veil.gateway.core.Envelope;
import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.Spool;
import dev.veil.gateway.db.Database;
import dev.veil.gateway.db.SpoolDao;
import dev.veil.gateway.pipeline.AuthenticateStep;
import dev.veil.gateway.pipeline.Mail;
import dev.veil.gateway.pipeline.QuarantineException;
import dev.veil.gateway.relay.TemporaryFailureException;
import dev.veil.tests.support.TestDnsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authenticate step on its own, for each {@code dmarc-failure} setting, against a real DNS server: quarantine
 * stops the message, tag marks its subject, pass only records; the verdict is written once, forged ones are dropped.
 */
class AuthenticateStepTest {
    private static final String SPOOF = "From: CEO <ceo@spoofed.example>\r\nTo: alice@example.com\r\n"
            + "Authentication-Results: veil.test; dmarc=pass header.from=spoofed.example\r\n"
            + "Subject: wire money\r\n\r\nNow.\r\n";
    @TempDir
    Path dir;
    private TestDnsServer dns;
    private Database database;
    private Spool spool;

    @BeforeEach
    void start() throws Exception {
        dns = TestDnsServer.start();
        dns.txt("spoofed.example", "v=spf1 ip4:192.0.2.1 -all");
        dns.txt("_dmarc.spoofed.example", "v=DMARC1; p=quarantine");
        dns.txt("relaxed.example", "v=spf1 ip4:127.0.0.1 -all");
        dns.txt("_dmarc.relaxed.example", "v=DMARC1; p=none");
        database = Database.open("jdbc:h2:mem:" + dir.getFileName() + ";DB_CLOSE_DELAY=-1");
        spool = new Spool(dir.resolve("spool"), new SpoolDao(database), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        dns.close();
        database.close();
    }

    private Mail mail(String dmarcFailure, String sender, String message) throws Exception {
        Policy policy = PolicyLoader.parse("policy.yml", PolicyLoader.exampleYaml()
                .replace("dmarc-failure: tag", "dmarc-failure: " + dmarcFailure)).policy().orElseThrow();
        Path file = dir.resolve("m-" + System.nanoTime() + ".eml");
        Files.writeString(file, message);
        return new Mail(QueueId.next(), new Envelope(sender, List.of("alice@example.com"), "127.0.0.1", "mx.test"),
                List.of("alice@example.com"), policy,
                policy.decide(Direction.INBOUND, sender, "alice@example.com").orElseThrow(), file);
    }

    private AuthenticateStep step() {
        return new AuthenticateStep(spool, new SenderAuthenticator(
                new DnsResolver(List.of(dns.address()), Duration.ofSeconds(2))), "veil.test");
    }

    @Test
    void quarantineStopsTheMessage() throws Exception {
        Mail mail = mail("quarantine", "ceo@spoofed.example", SPOOF);
        assertThatThrownBy(() -> step().service(mail)).isInstanceOf(QuarantineException.class)
                .hasMessageContaining("DMARC failed for spoofed.example (its policy: quarantine");
    }

    @Test
    void tagMarksTheSubjectAndRecordsTheVerdictOnce() throws Exception {
        Mail mail = mail("tag", "ceo@spoofed.example", SPOOF);
        step().service(mail);
        String out = Files.readString(mail.content());
        assertThat(out).startsWith("Authentication-Results: veil.test;\r\n\tspf=fail smtp.mailfrom=ceo@spoofed.example;"
                + "\r\n\tdkim=none;\r\n\tdmarc=fail policy.dmarc=quarantine header.from=spoofed.example\r\n");
        assertThat(out).contains("Subject: [DMARC FAIL] wire money\r\n").endsWith("\r\n\r\nNow.\r\n")
                .doesNotContain("dmarc=pass");
    }

    @Test
    void tagMarksEverySubjectField() throws Exception {
        // found by a black-box probe: only the first of two was tagged, and a mail program may show the second
        Mail mail = mail("tag", "ceo@spoofed.example", SPOOF.replace("Subject: wire money\r\n",
                "Subject: wire money\r\nSubject: Payment details changed\r\n"));
        step().service(mail);
        assertThat(Files.readString(mail.content())).contains("Subject: [DMARC FAIL] wire money\r\n")
                .contains("Subject: [DMARC FAIL] Payment details changed\r\n");
    }

    @Test
    void passOnlyRecords() throws Exception {
        Mail mail = mail("pass", "ceo@spoofed.example", SPOOF);
        step().service(mail);
        String out = Files.readString(mail.content());
        assertThat(out).contains("dmarc=fail").contains("Subject: wire money\r\n").doesNotContain("[DMARC FAIL]");
    }

    @Test
    void aDomainAskingForNothingIsOnlyRecordedEvenUnderQuarantine() throws Exception {
        String message = SPOOF.replace("spoofed.example", "relaxed.example");
        Mail mail = mail("quarantine", "someone@other.example", message);
        step().service(mail);
        assertThat(Files.readString(mail.content())).contains("dmarc=fail policy.dmarc=none")
                .contains("Subject: wire money\r\n");
    }

    @Test
    void aDnsFailureDefers() throws Exception {
        dns.serverFailure("flaky.example");
        dns.serverFailure("_dmarc.flaky.example");
        Mail mail = mail("pass", "ceo@flaky.example", SPOOF.replace("spoofed.example", "flaky.example"));
        assertThatThrownBy(() -> step().service(mail)).isInstanceOf(TemporaryFailureException.class)
                .hasMessageContaining("temperror");
    }
}
