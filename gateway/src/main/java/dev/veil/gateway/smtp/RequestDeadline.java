package dev.veil.gateway.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * A deadline per request, as Postfix has with {@code smtpd_per_request_deadline} and {@code smtpd_min_data_rate}: a
 * command line must arrive whole within the idle timeout, and message data within the idle timeout plus one second
 * for every {@code minDataRate} octets that arrived. The idle timeout alone counts from the last read, so a client that
 * sent one octet of a command, or one line of data, within every timeout kept its session, and one of its
 * {@code maxConnectionsPerClient} slots, for ever. Past the deadline the next read gets {@code 421 4.4.2} and the
 * session ends; nothing of an unfinished message is kept (its DATA never ended, so it was never acknowledged).
 *
 * <p>It sits in front of the line framer, after TLS, so it counts plaintext octets. Time waiting between requests is
 * the idle timeout's business, not this.
 */
final class RequestDeadline extends ChannelInboundHandlerAdapter {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RequestDeadline.class);
    static final String REPLY = "421 4.4.2 Timeout: the command or message took too long to arrive, closing";

    private final long timeoutNanos;
    private final long nanosPerOctet;
    private final LongSupplier nanoClock;
    private final Predicate<ChannelHandlerContext> commandMode;
    /** When the request in progress must have arrived (a {@link System#nanoTime} value). */
    private long deadline;
    /** The last read ended inside a line: the command it holds is still arriving. */
    private boolean lineOpen;
    private boolean inData;
    private boolean expired;

    /**
     * @param timeoutSeconds the idle timeout: what a command line may take, and message data before its credit
     * @param minDataRate    octets per second of message data that keep a slow transfer going
     */
    RequestDeadline(int timeoutSeconds, int minDataRate) {
        this(timeoutSeconds, minDataRate, System::nanoTime, StrictLineFramer::inCommandMode);
    }

    RequestDeadline(int timeoutSeconds, int minDataRate, LongSupplier nanoClock,
                    Predicate<ChannelHandlerContext> commandMode) {
        this.timeoutNanos = TimeUnit.SECONDS.toNanos(timeoutSeconds);
        this.nanosPerOctet = TimeUnit.SECONDS.toNanos(1) / Math.max(1, minDataRate);
        this.nanoClock = nanoClock;
        this.commandMode = commandMode;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (expired) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof ByteBuf bytes) || !bytes.isReadable()) {
            ctx.fireChannelRead(msg);
            return;
        }
        long now = nanoClock.getAsLong();
        if (commandMode.test(ctx)) {
            if (inData || !lineOpen) {
                deadline = now + timeoutNanos; // a new command begins with these octets
            }
            inData = false;
        } else {
            if (!inData) {
                inData = true;
                deadline = now + timeoutNanos;
            }
            // credit for what arrived; a deadline far ahead is as good as none (no overflow)
            deadline += Math.min((long) bytes.readableBytes() * nanosPerOctet, TimeUnit.DAYS.toNanos(1));
        }
        if (now - deadline > 0) {
            expired = true;
            bytes.release();
            LOG.warn("closed the session of {}: its {} took longer than the deadline", ctx.channel().remoteAddress(),
                    inData ? "message data (below the minimum data rate)" : "command line");
            ctx.writeAndFlush(Unpooled.copiedBuffer(REPLY + "\r\n", StandardCharsets.US_ASCII))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        lineOpen = bytes.getByte(bytes.writerIndex() - 1) != '\n';
        ctx.fireChannelRead(bytes);
    }
}
