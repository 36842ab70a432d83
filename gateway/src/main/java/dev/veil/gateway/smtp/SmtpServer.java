package dev.veil.gateway.smtp;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.stream.ChunkedWriteHandler;
import org.apache.james.protocols.api.Protocol;
import org.apache.james.protocols.netty.AbstractAsyncServer;
import org.apache.james.protocols.netty.BasicChannelInboundHandler;
import org.apache.james.protocols.netty.Encryption;
import org.apache.james.protocols.netty.HandlerConstants;
import org.apache.james.protocols.netty.ProtocolMDCContextFactory;

/**
 * James's Netty server without its separate framing executor: the stock NettyServer frames lines on another
 * thread group, so the socket is read with no back-pressure and a fast upload fills direct memory. Here every
 * handler runs on the IO loop, and {@link StrictLineFramer} replaces the lenient line decoder. Besides the idle
 * timeout, each request has a deadline ({@link RequestDeadline}).
 */
final class SmtpServer extends AbstractAsyncServer {

    /**
     * Ends a session that sent nothing for the idle timeout, with {@code 421 4.4.2} as Postfix does. James's
     * TimeoutHandler reacts only to the second idle event (it compares against READER_IDLE_STATE_EVENT, not the
     * FIRST_ one Netty sends first): twice the timeout. It sits in front of the line framer, so every read counts
     * (a long line of data that arrives slowly, but above the minimum rate, is not idleness); what a whole command or
     * message may take is {@link RequestDeadline}'s.
     */
    static final class IdleTimeout extends io.netty.handler.timeout.IdleStateHandler {
        private final int seconds;

        IdleTimeout(int seconds) {
            super(seconds, 0, 0);
            this.seconds = seconds;
        }

        @Override
        protected void channelIdle(io.netty.channel.ChannelHandlerContext ctx, io.netty.handler.timeout.IdleStateEvent evt) {
            if (evt.state() == io.netty.handler.timeout.IdleState.READER_IDLE) {
                ctx.writeAndFlush(io.netty.buffer.Unpooled.copiedBuffer("421 4.4.2 Timeout: nothing received for "
                        + seconds + " seconds, closing\r\n", java.nio.charset.StandardCharsets.US_ASCII))
                        .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            }
        }
    }

    private final Protocol protocol;
    private final Encryption startTls;
    private final int maxLineLength;
    private final ConnectionLimiter limiter;
    private final int minDataRate;

    SmtpServer(Protocol protocol, Encryption startTls, int maxLineLength, int maxConnections,
               int maxConnectionsPerClient, java.util.function.Predicate<java.net.InetAddress> exempt,
               int minDataRate) {
        this.protocol = protocol;
        this.startTls = startTls;
        this.maxLineLength = maxLineLength;
        this.minDataRate = minDataRate;
        this.limiter = new ConnectionLimiter(maxConnections, maxConnectionsPerClient, exempt);
        this.jmxName = "veil-smtp";
    }

    @Override
    protected ChannelInitializer<SocketChannel> createPipelineFactory() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                ChannelPipeline pipeline = channel.pipeline();
                pipeline.addLast(HandlerConstants.CONNECTION_LIMIT_HANDLER, limiter);
                pipeline.addLast(HandlerConstants.TIMEOUT_HANDLER, new IdleTimeout(getTimeout()));
                pipeline.addLast("requestDeadline", new RequestDeadline(getTimeout(), minDataRate));
                pipeline.addLast(HandlerConstants.FRAMER, new StrictLineFramer(maxLineLength));
                pipeline.addLast(HandlerConstants.CHUNK_HANDLER, new ChunkedWriteHandler());
                pipeline.addLast(HandlerConstants.CORE_HANDLER, new BasicChannelInboundHandler(
                        new ProtocolMDCContextFactory.Standard(), protocol, startTls, false));
            }
        };
    }
}
