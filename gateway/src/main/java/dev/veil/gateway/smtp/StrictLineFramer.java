package dev.veil.gateway.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import org.apache.james.protocols.api.CommandDetectionSession;
import org.apache.james.protocols.api.ProtocolSession;
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
    /** Message data goes on in frames of whole lines up to this size (one read from the socket is usually less). */
    static final int MAX_DATA_FRAME = 256 * 1024;
    /** {@link #lineEnd} results that are not a position. */
    private static final int NEED_MORE = -1;
    private static final int BARE_LF = -2;
    private static final int BARE_CR = -3;
    private static final int TOO_LONG = -4;

    private final int maxLineLength;
    private final Predicate<ChannelHandlerContext> commandMode;
    private boolean failed;

    public StrictLineFramer(int maxLineLength) {
        this(maxLineLength, StrictLineFramer::inCommandMode);
    }

    /** @param commandMode whether the session reads commands at the moment, not message data */
    StrictLineFramer(int maxLineLength, Predicate<ChannelHandlerContext> commandMode) {
        this.maxLineLength = maxLineLength;
        this.commandMode = commandMode;
    }

    /**
     * One frame per call, so that the session handler has acted on it (a {@code DATA} command, the end of the data)
     * before the next one is cut: Netty hands each call's output on before calling again.
     * <ul>
     * <li>In command mode a frame is one line.</li>
     * <li>Inside message data it is every whole line at hand, up to {@link #MAX_DATA_FRAME}, and the end-of-data
     *     line {@code .<CR><LF>} always a frame of its own. James spends the same on a frame of one line as on one
     *     of many (a byte copy, an MDC, a handler chain), and a 1 MB message has 13,000 lines.</li>
     * </ul>
     */
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        int start = in.readerIndex();
        int end = in.writerIndex();
        int first = lineEnd(in, start, end);
        if (first < 0) {
            fail(ctx, in, first);
            return;
        }
        if (!commandMode.test(ctx)) {
            int frameEnd = first;
            if (!isEndOfData(in, start, first)) {
                int limit = Math.min(end, start + MAX_DATA_FRAME);
                while (frameEnd < limit) {
                    int next = lineEnd(in, frameEnd, end);
                    if (next == NEED_MORE || next > limit || isEndOfData(in, frameEnd, next)) {
                        break;
                    }
                    if (next < 0) {
                        fail(ctx, in, next);
                        return;
                    }
                    frameEnd = next;
                }
            }
            out.add(in.readRetainedSlice(frameEnd - start));
            return;
        }
        ByteBuf line = in.readRetainedSlice(first - start);
        if (in.isReadable() && isStartTls(line)) {
            line.release();
            refuse(ctx, in, "554 5.5.1 Commands pipelined after STARTTLS are refused");
            return;
        }
        out.add(line);
    }

    /**
     * Where the line that starts at {@code from} ends (just after its CRLF), or why it cannot: a bare LF or CR
     * before the CRLF, longer than the limit, or not complete yet. Searches with {@link ByteBuf#indexOf}, which
     * reads 8 octets at a time.
     */
    private int lineEnd(ByteBuf in, int from, int end) {
        int window = (int) Math.min(end, (long) from + maxLineLength);
        int cr = in.indexOf(from, window, CR);
        int lf = in.indexOf(from, cr < 0 ? window : cr, LF);
        if (lf >= 0) {
            return BARE_LF;
        }
        if (cr < 0) {
            return end - from >= maxLineLength ? TOO_LONG : NEED_MORE;
        }
        if (cr + 1 >= end) {
            return NEED_MORE; // wait for the octet after CR
        }
        if (in.getByte(cr + 1) != LF) {
            return BARE_CR;
        }
        return cr + 2 - from > maxLineLength ? TOO_LONG : cr + 2;
    }

    private static boolean isEndOfData(ByteBuf in, int from, int lineEnd) {
        return lineEnd - from == 3 && in.getByte(from) == '.';
    }

    private void fail(ChannelHandlerContext ctx, ByteBuf in, int why) {
        switch (why) {
            case BARE_LF -> refuse(ctx, in, "521 5.5.2 Bare <LF> received; lines must end with <CR><LF>");
            case BARE_CR -> refuse(ctx, in, "521 5.5.2 Bare <CR> received; lines must end with <CR><LF>");
            case TOO_LONG -> refuse(ctx, in, "500 5.5.2 Line too long (limit " + maxLineLength + " octets)");
            default -> {
                // NEED_MORE: the rest of the line is still on its way
            }
        }
    }

    /** As James's dispatcher reads it: trimmed, any case ({@code " starttls \r\n"} starts TLS too). */
    private static boolean isStartTls(ByteBuf line) {
        return line.readableBytes() <= 64
                && line.toString(StandardCharsets.US_ASCII).trim().toUpperCase(Locale.ROOT).equals("STARTTLS");
    }

    /** Whether the session reads commands, not message data ({@link SpoolingDataCmdHandler#receivingData}). */
    static boolean inCommandMode(ChannelHandlerContext ctx) {
        CommandDetectionSession session = ctx.channel().attr(BasicChannelInboundHandler.SESSION_ATTRIBUTE_KEY).get();
        return !(session instanceof ProtocolSession protocolSession)
                || !SpoolingDataCmdHandler.receivingData(protocolSession);
    }

    private void refuse(ChannelHandlerContext ctx, ByteBuf in, String reply) {
        failed = true;
        LOG.warn("refused input from {} and closed the session: {}", ctx.channel().remoteAddress(), reply);
        in.skipBytes(in.readableBytes());
        ctx.writeAndFlush(Unpooled.copiedBuffer(reply + "\r\n", StandardCharsets.US_ASCII))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
