package dev.veil.gateway.smtp;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Caps concurrent sessions, in all and per client: the one over a cap hears {@code 421} (try later) instead of a silent
 * close. Without the cap per client, one host holding every slot with a line now and then (the idle timeout counts
 * from the last line) shut every other sender out (found by a black-box probe: 50 of 50 slots held past twice the
 * timeout). As Postfix's {@code smtpd_client_connection_count_limit}, loopback and the networks given as exempt (the
 * outbound listener's allowed networks) are not counted per client; an IPv6 client is counted by its /64, which one
 * host usually holds whole.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private static final AttributeKey<Boolean> REFUSED = AttributeKey.valueOf("veil.refused");
    private static final AttributeKey<String> CLIENT = AttributeKey.valueOf("veil.client");
    private final AtomicInteger open = new AtomicInteger();
    private final int max;
    private final int maxPerClient;
    private final Predicate<InetAddress> exempt;
    private final ConcurrentHashMap<String, Integer> perClient = new ConcurrentHashMap<>();

    /**
     * @param maxPerClient sessions one client address (an IPv6 /64) may hold at once
     * @param exempt       addresses not counted per client (loopback always is)
     */
    ConnectionLimiter(int max, int maxPerClient, Predicate<InetAddress> exempt) {
        this.max = max;
        this.maxPerClient = maxPerClient;
        this.exempt = exempt;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (open.incrementAndGet() > max) {
            refuse(ctx, "421 4.7.0 Too many connections, try again later\r\n");
            return; // no session is created for this channel
        }
        String client = clientKey(ctx.channel().remoteAddress());
        if (client != null) {
            ctx.channel().attr(CLIENT).set(client); // counted now, so uncounted when it closes, refused or not
            if (perClient.merge(client, 1, Integer::sum) > maxPerClient) {
                refuse(ctx, "421 4.7.0 Too many connections from your address, try again later\r\n");
                return;
            }
        }
        super.channelActive(ctx);
    }

    private static void refuse(ChannelHandlerContext ctx, String reply) {
        ctx.channel().attr(REFUSED).set(true);
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(Unpooled.copiedBuffer(reply, StandardCharsets.US_ASCII)).addListener(ChannelFutureListener.CLOSE);
    }

    /** What a client is counted under, or null when it is not counted (exempt, loopback, not an IP address). */
    private String clientKey(SocketAddress remote) {
        if (!(remote instanceof InetSocketAddress socket) || socket.getAddress() == null) {
            return null;
        }
        InetAddress address = socket.getAddress();
        if (address.isLoopbackAddress() || exempt.test(address)) {
            return null;
        }
        return Networks.clientKey(address);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (Boolean.TRUE.equals(ctx.channel().attr(REFUSED).get())) {
            ReferenceCountUtil.release(msg);
            return;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        open.decrementAndGet();
        String client = ctx.channel().attr(CLIENT).get();
        if (client != null) {
            // removed at zero, so the map holds only clients with open sessions
            perClient.computeIfPresent(client, (k, count) -> count <= 1 ? null : count - 1);
        }
        if (Boolean.TRUE.equals(ctx.channel().attr(REFUSED).get())) {
            return;
        }
        super.channelInactive(ctx);
    }

    /** How many clients have sessions counted now (tests). */
    int countedClients() {
        return perClient.size();
    }
}
