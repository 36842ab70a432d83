package dev.veil.gateway.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Sessions are capped in all and per client address: one host cannot hold every slot (a black-box probe held 50 of 50
 * with a NOOP every 10 s, and the next sender heard 421). Loopback and exempt networks are not counted per client.
 */
class ConnectionLimiterTest {

    /** A channel that says it comes from {@code address}. */
    private static final class From extends EmbeddedChannel {
        private final InetSocketAddress remote;

        From(String address, ConnectionLimiter limiter) throws Exception {
            super(false, false);
            this.remote = new InetSocketAddress(InetAddress.getByName(address), 40000);
            pipeline().addLast(limiter);
            register();
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return remote;
        }

        /** The 421 it heard, or "" when it was let in. */
        String heard() {
            ByteBuf out = readOutbound();
            return out == null ? "" : out.toString(StandardCharsets.US_ASCII);
        }
    }

    @Test
    void aClientOverItsShareHears421WhileOthersAndLoopbackAreLetIn() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter(10, 3, address -> address.getHostAddress().equals("192.0.2.99"));
        List<From> mine = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            mine.add(new From("198.51.100.7", limiter));
        }
        mine.forEach(c -> assertThat(c.heard()).isEmpty());
        From fourth = new From("198.51.100.7", limiter);
        assertThat(fourth.heard()).startsWith("421 4.7.0 Too many connections from your address");
        assertThat(new From("198.51.100.8", limiter).heard()).as("another client").isEmpty();
        assertThat(new From("127.0.0.1", limiter).heard()).as("loopback is not counted per client").isEmpty();
        assertThat(new From("127.0.0.1", limiter).heard()).isEmpty();
        assertThat(new From("192.0.2.99", limiter).heard()).as("an exempt network").isEmpty();
        assertThat(new From("192.0.2.99", limiter).heard()).isEmpty();

        // one of the three closes, and the refused fourth has closed: the client may open one again
        mine.get(0).close();
        fourth.close();
        assertThat(new From("198.51.100.7", limiter).heard()).isEmpty();
        assertThat(new From("198.51.100.7", limiter).heard()).startsWith("421");
    }

    @Test
    void anIpv6ClientIsCountedByItsSlash64AndTheTotalCapStillHolds() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter(5, 2, address -> false);
        assertThat(new From("2001:db8:1:2::a", limiter).heard()).isEmpty();
        assertThat(new From("2001:db8:1:2::b", limiter).heard()).isEmpty();
        assertThat(new From("2001:db8:1:2:ffff::1", limiter).heard()).as("the same /64")
                .startsWith("421 4.7.0 Too many connections from your address");
        assertThat(new From("2001:db8:1:3::a", limiter).heard()).as("another /64").isEmpty();
        assertThat(new From("127.0.0.1", limiter).heard()).isEmpty();
        assertThat(new From("::1", limiter).heard()).as("the fifth open session").isEmpty();
        assertThat(new From("127.0.0.1", limiter).heard()).as("the sixth (the refused one has closed)")
                .startsWith("421 4.7.0 Too many connections, try again later");
    }

    @Test
    void closedSessionsLeaveNoCountBehind() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter(100, 2, address -> false);
        for (int round = 0; round < 5; round++) {
            List<From> open = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                open.add(new From("203.0.113." + (round + 1), limiter));
            }
            assertThat(open.get(2).heard()).startsWith("421");
            for (From c : open) {
                c.close();
            }
        }
        assertThat(limiter.countedClients()).isZero();
    }
}
