package dev.veil.gateway.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworksTest {
    private static boolean in(Networks n, String address) throws Exception {
        return n.contains(InetAddress.getByName(address));
    }

    @Test
    void matchesAddressesInsideTheBlocksOnly() throws Exception {
        Networks n = Networks.parse("outbound.allowedNetworks",
                List.of("40.92.0.0/15", "52.100.0.0/14", "2a01:111:f400::/48", "192.0.2.7", "10.1.2.3/31"));

        assertThat(in(n, "40.93.255.255")).isTrue();
        assertThat(in(n, "40.94.0.0")).isFalse();
        assertThat(in(n, "52.103.1.1")).isTrue();
        assertThat(in(n, "52.104.0.0")).isFalse();
        assertThat(in(n, "2a01:111:f400:7e00::1")).isTrue();
        assertThat(in(n, "2a01:111:f401::1")).isFalse();
        assertThat(in(n, "192.0.2.7")).isTrue();
        assertThat(in(n, "192.0.2.8")).isFalse();
        assertThat(in(n, "10.1.2.2")).isTrue();
        assertThat(in(n, "10.1.2.4")).isFalse();
        assertThat(in(n, "127.0.0.1")).isFalse();
        assertThat(in(n, "::ffff:40.92.0.1")).as("IPv4-mapped form is the IPv4 address").isTrue();
    }

    @Test
    void anEmptyListTrustsNobodyAndZeroPrefixEverybody() throws Exception {
        assertThat(in(Networks.parse("x", List.of()), "127.0.0.1")).isFalse();
        assertThat(in(Networks.parse("x", List.of("0.0.0.0/0")), "203.0.113.9")).isTrue();
    }

    @Test
    void badEntriesNameTheSettingAndTheEntry() {
        assertThatThrownBy(() -> Networks.parse("outbound.allowedNetworks", List.of("10.0.0.0/33")))
                .hasMessage("outbound.allowedNetworks: '10.0.0.0/33' has a prefix length outside 0..32");
        assertThatThrownBy(() -> Networks.parse("outbound.allowedNetworks", List.of("mail.example.com")))
                .hasMessageContaining("'mail.example.com' is not an IP address or CIDR block");
        assertThatThrownBy(() -> Networks.parse("outbound.allowedNetworks", List.of("10.0/8")))
                .hasMessageContaining("'10.0/8' is not an IP address");
        assertThatThrownBy(() -> Networks.parse("outbound.allowedNetworks", List.of("10.0.0.0/x")))
                .hasMessageContaining("prefix length");
    }
}
