package dev.veil.gateway.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-request deadline with a hand-moved clock: idle timeout 10 s, 100 octets per second of data. */
class RequestDeadlineTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AtomicBoolean commandMode = new AtomicBoolean(true);
    private final EmbeddedChannel channel = new EmbeddedChannel(
            new RequestDeadline(10, 100, now::get, ctx -> commandMode.get()));

    @AfterEach
    void release() {
        channel.finishAndReleaseAll();
    }

    private void after(double seconds) {
        now.addAndGet((long) (seconds * TimeUnit.SECONDS.toNanos(1)));
    }

    /** Sends octets; whether they were passed on (not cut). */
    private boolean send(String octets) {
        channel.writeInbound(Unpooled.copiedBuffer(octets, StandardCharsets.US_ASCII));
        ByteBuf passed = channel.readInbound();
        if (passed == null) {
            return false;
        }
        passed.release();
        return true;
    }

    private String reply() {
        ByteBuf out = channel.readOutbound();
        try {
            return out == null ? null : out.toString(StandardCharsets.US_ASCII);
        } finally {
            if (out != null) {
                out.release();
            }
        }
    }

    @Test
    void aCommandLineThatTricklesInPastTheTimeoutIsCutWith421() {
        assertThat(send("N")).isTrue();
        after(6);
        assertThat(send("O")).isTrue();
        after(3.9);
        assertThat(send("O")).as("9.9 s into the line").isTrue();
        after(0.2);
        assertThat(send("P\r\n")).as("10.1 s into the line").isFalse();
        assertThat(reply()).isEqualTo(RequestDeadline.REPLY + "\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void eachWholeCommandLineStartsAFreshDeadline() {
        for (int i = 0; i < 10; i++) {
            after(9);
            assertThat(send("NOOP\r\n")).as("command %d, %d s into the session", i, 9 * (i + 1)).isTrue();
        }
        // a line split over reads, each part within the timeout of the line's start
        assertThat(send("RCPT TO:<a@")).isTrue();
        after(9);
        assertThat(send("example.com>\r\nNOOP\r\n")).isTrue();
        after(9);
        assertThat(send("NO")).as("a new line").isTrue();
        assertThat(reply()).isNull();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void messageDataBelowTheMinimumRateIsCut() {
        assertThat(send("DATA\r\n")).isTrue();
        commandMode.set(false);
        after(30); // waiting for 354 is not counted: the data request starts with its first octets
        // 50 octets a second where 100 are needed: the timeout plus 0.5 s of credit per second
        int lines = 0;
        while (send("x".repeat(48) + "\r\n")) {
            lines++;
            after(1);
            assertThat(lines).isLessThan(30);
        }
        assertThat(lines).as("10 s of timeout, then 0.5 s gained per second: cut after about 20 s").isBetween(21, 23);
        assertThat(reply()).isEqualTo(RequestDeadline.REPLY + "\r\n");
    }

    @Test
    void messageDataAtTheMinimumRateGoesOnAndTheNextCommandHasItsOwnDeadline() {
        commandMode.set(false);
        for (int i = 0; i < 100; i++) {
            assertThat(send("x".repeat(98) + "\r\n")).as("line %d", i).isTrue();
            after(1);
        }
        assertThat(send(".\r\n")).isTrue();
        commandMode.set(true);
        after(9);
        assertThat(send("QUI")).isTrue();
        after(9);
        assertThat(send("T\r\n")).as("18 s after the data ended, 9 s into the command").isTrue();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void nothingIsPassedOnOnceCut() {
        EmbeddedChannel held = new EmbeddedChannel(new io.netty.channel.ChannelOutboundHandlerAdapter() {
            @Override
            public void close(io.netty.channel.ChannelHandlerContext ctx, io.netty.channel.ChannelPromise promise) {
                // kept open, as a socket is until the reply has gone: what still arrives must go nowhere
            }
        }, new RequestDeadline(10, 100, now::get, ctx -> true));
        held.writeInbound(Unpooled.copiedBuffer("x", StandardCharsets.US_ASCII));
        ((ByteBuf) held.readInbound()).release();
        after(11);
        held.writeInbound(Unpooled.copiedBuffer("y", StandardCharsets.US_ASCII));
        held.writeInbound(Unpooled.copiedBuffer("QUIT\r\n", StandardCharsets.US_ASCII));
        assertThat((Object) held.readInbound()).isNull();
        held.finishAndReleaseAll();
    }
}
