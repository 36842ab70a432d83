package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import dev.veil.config.PolicyLoader;
import dev.veil.gateway.pipeline.AuthenticateStep;
import dev.veil.crypto.ArcSigningKey;
import dev.veil.crypto.MasterKey;
import dev.veil.gateway.auth.ArcSealer;
import dev.veil.tests.support.DkimTool;
import dev.veil.tests.support.ExchangeAndVeil;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.SmtpSubmit;
import dev.veil.tests.support.TestDnsServer;
import dev.veil.tests.support.Tools;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mail that arrives with an ARC chain (a forwarder sealed it, python3-dkim as that forwarder): the chain is judged as
 * it arrived (the forwarder's seal made with Veil's sealer, checked by python3-dkim), so Veil's seal says cv=pass and the whole chain verifies.
 */
class IncomingArcChainEndToEndTest {
    @TempDir
    Path dir;

    @Test
    void aValidChainThatArrivedIsVouchedFor() throws Exception {
        String outside = relayedHeader(false);
        assertThat(outside).contains("Subject: the plan").doesNotContain(AuthenticateStep.DMARC_TAG);
    }

    @Test
    void aValidChainIsStillVouchedForWhenVeilTagsTheSubjectOfMailFailingDmarc() throws Exception {
        // found by a black-box probe: the chain was judged after Veil's own "[DMARC FAIL]" tag had changed a field the
        // forwarder signed, so Veil's seal said cv=fail of a chain that had arrived intact
        String outside = relayedHeader(true);
        assertThat(outside).contains("Subject: " + AuthenticateStep.DMARC_TAG + " the plan").contains("dmarc=fail");
    }

    /**
     * Relays a forwarder-sealed message from bob@partner.example through Veil and checks the chain Exchange gets;
     * returns the header Exchange got. {@code partnerRejects}: partner.example publishes p=reject, so the forwarded
     * message fails DMARC and the example policy ({@code dmarc-failure: tag}) tags its Subject.
     */
    private String relayedHeader(boolean partnerRejects) throws Exception {
        // the list's mail to alice is let through unencrypted, so the chain that came with it stays outside
        String policy = PolicyLoader.exampleYaml().replace("rules:\n",
                "rules:\n  - name: list\n    match:\n      recipient: \"alice@example.com\"\n    pass:\n"
                        + "      reason: the list is public\n");
        ArcSigningKey forwarderKey = ArcSigningKey.openOrCreate(dir.resolve("forwarder-keys"), MasterKey.generate());
        try (TestDnsServer dns = TestDnsServer.start();
             ExchangeAndVeil started = ExchangeAndVeil.prepared(dir.resolve("veil-data"), policy)) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil()
                    .set("auth.dnsServers", "[\"" + dns.address() + "\"]")
                    .set("auth.authservId", "veil.test")
                    .set("arc.domain", "arc.example")
                    .set("arc.selector", "veil")
                    .set("queue.pipeline", "[reject, authenticate, skip-encrypted, encrypt, pass, arc-seal, relay]");
            dns.txt("lists.example", "v=spf1 ip4:127.0.0.1 -all");
            dns.txt("fwd._domainkey.lists.example", forwarderKey.dnsTxtValue());
            if (partnerRejects) {
                dns.txt("_dmarc.partner.example", "v=DMARC1; p=reject");
            }
            String record = veil.command("keys", "arc-dns");
            Matcher m = Pattern.compile("(?m)^veil\\._domainkey\\.arc\\.example\\. IN TXT \\( (.*) \\)$").matcher(record);
            assertThat(m.find()).as(record).isTrue();
            String arcKey = m.group(1).replace("\" \"", "").replace("\"", "");
            veil.start();

            String original = "Authentication-Results: mx.lists.example; spf=pass smtp.mailfrom=bob@partner.example\r\n"
                    + "From: Bob <bob@partner.example>\r\nTo: <alice@example.com>\r\nSubject: the plan\r\n"
                    + "Date: Sun, 29 Nov 2026 12:00:00 +0000\r\nMessage-ID: <plan-1@partner.example>\r\n"
                    + "\r\nMeet at noon.\r\n";
            // the forwarder's seal (checked below by python3-dkim, an independent verifier)
            Path asSent = dir.resolve("as-sent.eml");
            Path forwarded = dir.resolve("forwarded.eml");
            Files.writeString(asSent, original);
            new ArcSealer(forwarderKey.signingKey(), "lists.example", "fwd", "mx.lists.example", null)
                    .seal(asSent, forwarded, List.of("spf=pass smtp.mailfrom=bob@partner.example"), List.of(),
                            Instant.now());
            byte[] sealed = Files.readAllBytes(forwarded);
            Map<String, String> zone = Map.of("fwd._domainkey.lists.example", forwarderKey.dnsTxtValue(),
                    "veil._domainkey.arc.example", arcKey);
            Tools.Result before = DkimTool.arcVerify(sealed, zone, dir);
            assertThat(before.output()).as("the forwarder's chain as sent").startsWith("cv=pass");

            SmtpSubmit.Reply reply = SmtpSubmit.send(veil.smtpPort(), "list-bounces@lists.example",
                    "alice@example.com", new String(sealed, StandardCharsets.ISO_8859_1));
            assertThat(reply.code()).as(reply.text()).isEqualTo(250);
            assertThat(exchange.waitForIncomingEmail(30_000, 1)).isTrue();
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            exchange.getReceivedMessages()[0].writeTo(raw);
            String relayed = raw.toString(StandardCharsets.ISO_8859_1);
            String outside = relayed.substring(0, relayed.indexOf("\r\n\r\n"));
            assertThat(outside).contains("ARC-Seal: i=1;")
                    .contains("ARC-Seal: i=2; a=rsa-sha256;");
            assertThat(outside).as("Veil's seal over a chain that arrived intact").contains("cv=pass")
                    .doesNotContain("cv=fail");
            Tools.Result arc = DkimTool.arcVerify(relayed.getBytes(StandardCharsets.ISO_8859_1), zone, dir);
            assertThat(arc.output()).as("what Exchange sees").startsWith("cv=pass");
            return outside;
        }
    }
}
