package dev.veil.gateway.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Failed logins per client, with a clock the test moves. */
class AuthFailuresTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AuthFailures failures = new AuthFailures(3, Duration.ofMinutes(15),
            address -> address.getHostAddress().startsWith("192.0.2."), now::get);

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void aClientIsBlockedAtTheLimitUntilItsWindowHasPassed() throws Exception {
        failures.failed(ip("198.51.100.7"));
        failures.failed(ip("198.51.100.7"));
        assertThat(failures.blocked(ip("198.51.100.7"))).isFalse();
        now.addAndGet(Duration.ofMinutes(14).toNanos());
        failures.failed(ip("198.51.100.7"));
        assertThat(failures.blocked(ip("198.51.100.7"))).isTrue();
        assertThat(failures.blocked(ip("198.51.100.8"))).as("another client").isFalse();

        now.addAndGet(Duration.ofMinutes(1).toNanos()); // 15 minutes after the first failure
        assertThat(failures.blocked(ip("198.51.100.7"))).isFalse();
        failures.failed(ip("198.51.100.7"));
        failures.failed(ip("198.51.100.7"));
        assertThat(failures.blocked(ip("198.51.100.7"))).as("a new window, two failures in it").isFalse();
    }

    @Test
    void anIpv6ClientIsCountedByItsSlash64() throws Exception {
        failures.failed(ip("2001:db8:1:2::1"));
        failures.failed(ip("2001:db8:1:2::2"));
        failures.failed(ip("2001:db8:1:2:ffff::3"));
        assertThat(failures.blocked(ip("2001:db8:1:2::99"))).isTrue();
        assertThat(failures.blocked(ip("2001:db8:1:3::1"))).isFalse();
    }

    @Test
    void exemptAndUnknownClientsAreNeverCounted() throws Exception {
        for (int i = 0; i < 10; i++) {
            failures.failed(ip("192.0.2.5"));
            failures.failed(null);
        }
        assertThat(failures.blocked(ip("192.0.2.5"))).isFalse();
        assertThat(failures.blocked(null)).isFalse();
        assertThat(failures.rememberedClients()).isZero();
    }

    @Test
    void clientsWhoseWindowHasPassedAreForgottenWhenManyAreRemembered() throws Exception {
        for (int i = 0; i <= AuthFailures.PRUNE_ABOVE; i++) {
            failures.failed(InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i}));
        }
        assertThat(failures.rememberedClients()).isEqualTo(AuthFailures.PRUNE_ABOVE + 1);
        now.addAndGet(Duration.ofMinutes(15).toNanos());
        failures.failed(ip("198.51.100.7"));
        assertThat(failures.rememberedClients()).isEqualTo(1);
    }
}
