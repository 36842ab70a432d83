package dev.veil.gateway.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class ReceivedFieldTest {
    private static final ZonedDateTime NOW = ZonedDateTime.parse("2026-12-03T21:40:05+01:00");

    private static String line(String helo, String client, String protocol, String recipient) throws Exception {
        return new String(ReceivedField.line(helo, client == null ? null : InetAddress.getByName(client),
                "veil.example.com", protocol, "0PQ3V4X8Z2A7K9M4N6RT", recipient, NOW), StandardCharsets.US_ASCII);
    }

    @Test
    void postfixsFormWithTheQueueIdTheRecipientAndAnRfc5322Date() throws Exception {
        assertThat(line("mail.partner.example", "192.0.2.7", "ESMTPS", "alice@example.com")).isEqualTo(
                "Received: from mail.partner.example ([192.0.2.7])\r\n"
                        + "\tby veil.example.com (Veil) with ESMTPS id 0PQ3V4X8Z2A7K9M4N6RT\r\n"
                        + "\tfor <alice@example.com>; Thu, 3 Dec 2026 21:40:05 +0100\r\n");
    }

    @Test
    void ipv6IsAnRfc5321AddressLiteralAndSeveralRecipientsAreNotNamed() throws Exception {
        assertThat(line("[IPv6:2001:db8::7]", "2001:db8::7", "ESMTP", null)).isEqualTo(
                "Received: from [IPv6:2001:db8::7] ([IPv6:2001:db8::7])\r\n"
                        + "\tby veil.example.com (Veil) with ESMTP id 0PQ3V4X8Z2A7K9M4N6RT; Thu, 3 Dec 2026 21:40:05 +0100\r\n");
    }

    @Test
    void aGreetingThatIsNoDomainGoesIntoACommentWithoutTheCharactersThatWouldEndIt() throws Exception {
        assertThat(line("evil) (x\\y", "192.0.2.7", "SMTP", null))
                .startsWith("Received: from [192.0.2.7] (HELO evil???x?y)\r\n\tby veil.example.com (Veil) with SMTP id ");
        assertThat(line("a..b", "192.0.2.7", "ESMTP", null)).startsWith("Received: from [192.0.2.7] (HELO a..b)\r\n");
        assertThat(line("", null, "ESMTP", null)).startsWith("Received: from unknown\r\n\tby ");
    }

    @Test
    void aRecipientThatCannotBeWrittenPlainlyIsLeftOut() throws Exception {
        assertThat(line("h.example", "192.0.2.7", "ESMTP", "\"john doe\"@example.com")).doesNotContain("for <");
    }

    @Test
    void ipv6AddressesAreWrittenInRfc5952sShortForm() {
        assertThat(ReceivedField.compressed("2001:db8:0:0:1:0:0:1")).isEqualTo("2001:db8::1:0:0:1");
        assertThat(ReceivedField.compressed("0:0:0:0:0:0:0:1")).isEqualTo("::1");
        assertThat(ReceivedField.compressed("fe80:0:0:0:0:0:0:0")).isEqualTo("fe80::");
        assertThat(ReceivedField.compressed("2001:db8:0:1:1:1:1:1")).isEqualTo("2001:db8:0:1:1:1:1:1");
    }

    @Test
    void protocolNamesAfterRfc3848() {
        assertThat(ReceivedField.protocol(false, true, true)).isEqualTo("SMTP");
        assertThat(ReceivedField.protocol(true, false, false)).isEqualTo("ESMTP");
        assertThat(ReceivedField.protocol(true, true, false)).isEqualTo("ESMTPS");
        assertThat(ReceivedField.protocol(true, false, true)).isEqualTo("ESMTPA");
        assertThat(ReceivedField.protocol(true, true, true)).isEqualTo("ESMTPSA");
    }
}
