package dev.veil.gateway.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StrictLineFramerTest {
    private static final int MAX = 16;

    private EmbeddedChannel channel;

    @AfterEach
    void releaseEverything() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void framesEachCrlfTerminatedLineWithItsTerminator() {
        channel = new EmbeddedChannel(new StrictLineFramer(MAX));

        channel.writeInbound(ascii("EHLO a.test\r\nNOOP\r\n"));

        assertThat(lines()).containsExactly("EHLO a.test\r\n", "NOOP\r\n");
        assertThat(replies()).isEmpty();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void joinsALineThatArrivesInSeveralWrites() {
        channel = new EmbeddedChannel(new StrictLineFramer(MAX));

        channel.writeInbound(ascii("EH"));
        channel.writeInbound(ascii("LO a"));
        assertThat(lines()).isEmpty();
        channel.writeInbound(ascii(".test\r\nNO"));
        assertThat(lines()).containsExactly("EHLO a.test\r\n");
        channel.writeInbound(ascii("OP\r\n"));

        assertThat(lines()).containsExactly("NOOP\r\n");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void waitsForTheLfWhenCrEndsABuffer() {
        channel = new EmbeddedChannel(new StrictLineFramer(MAX));

        channel.writeInbound(ascii("NOOP\r"));
        assertThat(lines()).isEmpty();
        assertThat(replies()).isEmpty();
        assertThat(channel.isOpen()).isTrue();

        channel.writeInbound(ascii("\nQUIT\r\n"));

        assertThat(lines()).containsExactly("NOOP\r\n", "QUIT\r\n");
        assertThat(channel.isOpen()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"NOOP\nQUIT\r\n", "\n.\n", "data\r\n\n.\r\n", "line\n.\r\n"})
    void refusesBareLfWith521AndCloses(String input) {
        channel = new EmbeddedChannel(new StrictLineFramer(MAX));

        channel.writeInbound(ascii(input));

        assertThat(replies()).containsExactly("521 5.5.2 Bare <LF> received; lines must end with <CR><LF>\r\n");
        assertThat(channel.isOpen()).isFalse();
        assertThat(lines()).doesNotContain("QUIT\r\n", ".\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"NOOP\rQUIT\r\n", "\r.\r", "data\r\n\r.\r\n", "\r\r\n"})
    void refusesBareCrWith521AndCloses(String input) {
        channel = new EmbeddedChannel(new StrictLineFramer(MAX));

        channel.writeInbound(ascii(input));

        assertThat(replies()).containsExactly("521 5.5.2 Bare <CR> received; lines must end with <CR><LF>\r\n");
        assertThat(channel.isOpen()).isFalse();
        assertThat(lines()).doesNotContain("QUIT\r\n", ".\r\n");
    }

    @Test
    void refusesCrFollowedByAnotherOctetInTheNextWrite() {
        channel = new EmbeddedChannel(new StrictLineFramer(MAX));

        channel.writeInbound(ascii("NOOP\r"));
        assertThat(channel.isOpen()).isTrue();
        channel.writeInbound(ascii("QUIT\r\n"));

        assertThat(replies()).containsExactly("521 5.5.2 Bare <CR> received; lines must end with <CR><LF>\r\n");
        assertThat(lines()).isEmpty();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void passesALineOfExactlyTheLimitIncludingCrlf() {
        channel = new EmbeddedChannel(new StrictLineFramer(MAX));
        String line = "x".repeat(MAX - 2) + "\r\n";

        channel.writeInbound(ascii(line + line));

        assertThat(lines()).containsExactly(line, line);
        assertThat(replies()).isEmpty();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void refusesALineOneOctetOverTheLimitWith500() {
        channel = new EmbeddedChannel(new StrictLineFramer(MAX));

        channel.writeInbound(ascii("x".repeat(MAX - 1) + "\r\nNOOP\r\n"));

        assertThat(replies()).containsExactly("500 5.5.2 Line too long (limit 16 octets)\r\n");
        assertThat(lines()).isEmpty();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void refusesAnOverLongLineWhoseCrlfArrivesInALaterWrite() {
        channel = new EmbeddedChannel(new StrictLineFramer(MAX));

        channel.writeInbound(ascii("x".repeat(MAX - 1) + "\r"));
        assertThat(replies()).isEmpty();
        channel.writeInbound(ascii("\n"));

        assertThat(replies()).containsExactly("500 5.5.2 Line too long (limit 16 octets)\r\n");
        assertThat(lines()).isEmpty();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void refusesAnUnterminatedLineAsSoonAsItReachesTheLimit() {
        channel = new EmbeddedChannel(new StrictLineFramer(MAX));

        channel.writeInbound(ascii("x".repeat(MAX - 1)));
        assertThat(replies()).isEmpty();
        assertThat(channel.isOpen()).isTrue();
        channel.writeInbound(ascii("x"));

        assertThat(replies()).containsExactly("500 5.5.2 Line too long (limit 16 octets)\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void ignoresEverythingThatArrivesAfterARefusal() {
        // holds the 521 back, so the channel stays open as a real socket would while the reply is being flushed
        HeldWrites held = new HeldWrites();
        channel = new EmbeddedChannel(held, new StrictLineFramer(MAX));

        channel.writeInbound(ascii("NOOP\n"));
        channel.writeInbound(ascii("RSET\r\n"));
        channel.writeInbound(ascii("QUIT\r\n"));

        assertThat(channel.isOpen()).isTrue();
        assertThat(lines()).isEmpty();
        assertThat(held.written).containsExactly("521 5.5.2 Bare <LF> received; lines must end with <CR><LF>\r\n");
    }

    @Test
    void refusesCommandsPipelinedBehindStartTlsWithoutASession() {
        channel = new EmbeddedChannel(new StrictLineFramer(64));

        channel.writeInbound(ascii("STARTTLS\r\nMAIL FROM:<a@evil.test>\r\n"));

        assertThat(replies()).containsExactly("554 5.5.1 Commands pipelined after STARTTLS are refused\r\n");
        assertThat(lines()).isEmpty();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void refusesPipelinedStartTlsWhateverItsCase() {
        channel = new EmbeddedChannel(new StrictLineFramer(64));

        channel.writeInbound(ascii("StartTls\r\nRSET\r\n"));

        assertThat(replies()).containsExactly("554 5.5.1 Commands pipelined after STARTTLS are refused\r\n");
        assertThat(lines()).isEmpty();
    }

    @Test
    void refusesCommandsPipelinedBehindStartTlsInCommandMode() {
        channel = new EmbeddedChannel(new StrictLineFramer(64, ctx -> true));

        channel.writeInbound(ascii("STARTTLS\r\nX"));

        assertThat(replies()).containsExactly("554 5.5.1 Commands pipelined after STARTTLS are refused\r\n");
        assertThat(lines()).isEmpty();
    }

    /**
     * James trims a command line before parsing it, so {@code STARTTLS<SP>} (or a tab) starts TLS just like
     * {@code STARTTLS}; the pipelining check must treat it the same, or the commands behind it are injected into
     * the TLS session.
     */
    @ParameterizedTest
    @ValueSource(strings = {"STARTTLS \r\n", "STARTTLS\t\r\n", " STARTTLS\r\n"})
    void refusesCommandsPipelinedBehindStartTlsWithSurroundingWhitespace(String startTls) {
        channel = new EmbeddedChannel(new StrictLineFramer(64));

        channel.writeInbound(ascii(startTls + "MAIL FROM:<a@evil.test>\r\n"));

        assertThat(replies()).containsExactly("554 5.5.1 Commands pipelined after STARTTLS are refused\r\n");
        assertThat(lines()).isEmpty();
    }

    @Test
    void passesAStartTlsThatArrivesAlone() {
        channel = new EmbeddedChannel(new StrictLineFramer(64));

        channel.writeInbound(ascii("STARTTLS\r\n"));

        assertThat(lines()).containsExactly("STARTTLS\r\n");
        assertThat(replies()).isEmpty();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void passesAStartTlsLineInsideMessageData() {
        channel = new EmbeddedChannel(new StrictLineFramer(64, ctx -> false));

        channel.writeInbound(ascii("STARTTLS\r\nmore text\r\n.\r\n"));

        assertThat(lines()).containsExactly("STARTTLS\r\nmore text\r\n", ".\r\n");
        assertThat(replies()).isEmpty();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void framesMessageDataAsRunsOfWholeLinesWithTheEndOfDataAlone() {
        channel = new EmbeddedChannel(new StrictLineFramer(64, ctx -> false));

        channel.writeInbound(ascii("Subject: a\r\n\r\n..dot\r\n.\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDA"));

        assertThat(lines()).containsExactly("Subject: a\r\n\r\n..dot\r\n", ".\r\n",
                "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n");
        channel.writeInbound(ascii("TA\r\n"));
        assertThat(lines()).containsExactly("DATA\r\n");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void refusesABareLfDeepInsideMessageData() {
        channel = new EmbeddedChannel(new StrictLineFramer(64, ctx -> false));

        channel.writeInbound(ascii("line one\r\n".repeat(50) + "smuggled\n.\nMAIL FROM:<x@y.test>\r\n"));

        assertThat(lines()).isEmpty();
        assertThat(replies()).containsExactly("521 5.5.2 Bare <LF> received; lines must end with <CR><LF>\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void refusesAnOverLongLineDeepInsideMessageData() {
        channel = new EmbeddedChannel(new StrictLineFramer(MAX, ctx -> false));

        channel.writeInbound(ascii("ok\r\n".repeat(20) + "x".repeat(MAX) + "\r\n"));

        assertThat(lines()).isEmpty();
        assertThat(replies()).containsExactly("500 5.5.2 Line too long (limit 16 octets)\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    /**
     * Message data in random writes: the frames put together are the input; each is whole lines, at most
     * {@link StrictLineFramer#MAX_DATA_FRAME} long, and an end-of-data line is always a frame of its own.
     */
    @Test
    void dataFramesInRandomWritesAreWholeLinesAndGiveBackTheInput() {
        java.util.Random random = new java.util.Random(7);
        for (int round = 0; round < 20; round++) {
            channel = new EmbeddedChannel(new StrictLineFramer(1000, ctx -> false));
            StringBuilder input = new StringBuilder();
            while (input.length() < 600_000) {
                int kind = random.nextInt(40);
                input.append(kind == 0 ? "." : kind == 1 ? ".." : kind == 2 ? "" : "x".repeat(random.nextInt(998)))
                        .append("\r\n");
            }
            byte[] bytes = input.toString().getBytes(StandardCharsets.US_ASCII);
            StringBuilder framed = new StringBuilder();
            for (int at = 0; at < bytes.length; ) {
                int n = Math.min(bytes.length - at, 1 + random.nextInt(random.nextBoolean() ? 100 : 70_000));
                channel.writeInbound(Unpooled.wrappedBuffer(bytes, at, n));
                at += n;
                for (String frame : lines()) {
                    assertThat(frame).endsWith("\r\n").hasSizeLessThanOrEqualTo(StrictLineFramer.MAX_DATA_FRAME);
                    if (!frame.equals(".\r\n")) {
                        assertThat(frame).doesNotStartWith(".\r\n").doesNotContain("\r\n.\r\n");
                    }
                    framed.append(frame);
                }
            }
            assertThat(replies()).isEmpty();
            assertThat(framed.toString()).isEqualTo(input.toString());
            channel.finishAndReleaseAll();
        }
        channel = null;
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private List<String> lines() {
        List<String> out = new ArrayList<>();
        for (Object m; (m = channel.readInbound()) != null; ) {
            out.add(((ByteBuf) m).toString(StandardCharsets.US_ASCII));
            ReferenceCountUtil.release(m);
        }
        return out;
    }

    private List<String> replies() {
        List<String> out = new ArrayList<>();
        for (Object m; (m = channel.readOutbound()) != null; ) {
            out.add(((ByteBuf) m).toString(StandardCharsets.US_ASCII));
            ReferenceCountUtil.release(m);
        }
        return out;
    }

    /** Swallows writes without completing them: the framer's close-after-write never happens. */
    private static final class HeldWrites extends ChannelOutboundHandlerAdapter {
        final List<String> written = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            written.add(((ByteBuf) msg).toString(StandardCharsets.US_ASCII));
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
        }
    }
}
