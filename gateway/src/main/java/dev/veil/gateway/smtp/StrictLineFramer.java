package dev.veil.gateway.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.apache.james.protocols.api.CommandDetectionSession;
import org.apache.james.protocols.netty.BasicChannelInboundHandler;

/**
 * Frames the byte stream into CRLF-terminated lines and refuses everything else, in commands and in DATA alike.
 * James's stock framer splits on bare LF as well, which lets a client smuggle a second message past the
 * end-of-data ({@code <LF>.<LF>}, {@code <CR>.<CR>}...): here a bare LF or bare CR ends the session with
 * {@code 521}, as Postfix does with {@code smtpd_forbid_bare_newline}. It also refuses over-long lines cleanly
 * (the stock framer answers 500 and then still 250 to the DATA) and commands pipelined behind STARTTLS.
 * It runs on the IO thread: framing here keeps TCP back-pressure intact.
 */
public final class StrictLineFramer extends ByteToMessageDecoder {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StrictLineFramer.class);
    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private final int maxLineLength;
    private boolean failed;

    public StrictLineFramer(int maxLineLength) {
        this.maxLineLength = maxLineLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.isReadable()) {
            int start = in.readerIndex();
            int end = in.writerIndex();
            int scanEnd = Math.min(end, start + maxLineLength);
            int terminator = -1;
            for (int i = start; i < scanEnd; i++) {
                byte b = in.getByte(i);
                if (b == LF) {
                    refuse(ctx, in, "521 5.5.2 Bare <LF> received; lines must end with <CR><LF>");
                    return;
                }
                if (b == CR) {
                    if (i + 1 >= end) {
                        return; // wait for the byte after CR
                    }
                    if (in.getByte(i + 1) != LF) {
                        refuse(ctx, in, "521 5.5.2 Bare <CR> received; lines must end with <CR><LF>");
                        return;
                    }
                    terminator = i + 1;
                    break;
                }
            }
            if (terminator < 0) {
                if (end - start >= maxLineLength) {
                    refuse(ctx, in, "500 5.5.2 Line too long (limit " + maxLineLength + " octets)");
                }
                return;
            }
            int length = terminator + 1 - start;
            if (length > maxLineLength) {
                refuse(ctx, in, "500 5.5.2 Line too long (limit " + maxLineLength + " octets)");
                return;
            }
            ByteBuf line = in.readRetainedSlice(length);
            if (in.isReadable() && isStartTls(line) && inCommandMode(ctx)) {
                line.release();
                refuse(ctx, in, "554 5.5.1 Commands pipelined after STARTTLS are refused");
                return;
            }
            out.add(line);
        }
    }

    /** As James's dispatcher reads it: trimmed, any case ({@code " starttls \r\n"} starts TLS too). */
    private static boolean isStartTls(ByteBuf line) {
        return line.readableBytes() <= 64
                && line.toString(StandardCharsets.US_ASCII).trim().toUpperCase(Locale.ROOT).equals("STARTTLS");
    }

    private static boolean inCommandMode(ChannelHandlerContext ctx) {
        CommandDetectionSession session = ctx.channel().attr(BasicChannelInboundHandler.SESSION_ATTRIBUTE_KEY).get();
        return session == null || session.needsCommandInjectionDetection();
    }

    private void refuse(ChannelHandlerContext ctx, ByteBuf in, String reply) {
        failed = true;
        LOG.warn("refused input from {} and closed the session: {}", ctx.channel().remoteAddress(), reply);
        in.skipBytes(in.readableBytes());
        ctx.writeAndFlush(Unpooled.copiedBuffer(reply + "\r\n", StandardCharsets.US_ASCII))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
