package dev.veil.gateway.smtp;

import dev.veil.crypto.LineEnds;
import java.io.IOException;
import java.io.OutputStream;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataCmdHandler;
import org.apache.james.protocols.smtp.core.DataLineMessageHookHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Message data as {@link StrictLineFramer} frames it: runs of whole lines, with the end-of-data line
 * {@code .<CR><LF>} alone in its frame. Writes each run to the envelope's spool file with the leading dot of every
 * line removed (RFC 5321 4.5.2: "the first character is deleted"; James's own filter only undoes {@code ..}).
 * The end of data goes to James's handler, which runs the message hooks.
 */
final class DotUnstuffingDataLines extends DataLineMessageHookHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DotUnstuffingDataLines.class);

    @Override
    public Response onLine(SMTPSession session, byte[] lines, LineHandler<SMTPSession> next) {
        if (lines.length == 3 && lines[0] == '.') {
            // the data ends here, whatever the hooks then answer: the next frame is a command again
            session.removeAttachment(SpoolingDataCmdHandler.RECEIVING_DATA, ProtocolSession.State.Connection);
            return super.onLine(session, lines, next);
        }
        try {
            OutputStream out = session.getAttachment(DataCmdHandler.MAILENV, ProtocolSession.State.Transaction)
                    .orElseThrow(() -> new IOException("no transaction for message data"))
                    .getMessageOutputStream();
            writeUnstuffed(lines, out);
            return null;
        } catch (IOException | RuntimeException e) {
            LOG.error("could not take message data: {}", e.getMessage(), e);
            session.resetState();
            return new SMTPResponse("451", "4.3.0 Temporary local problem, please try again later");
        }
    }

    /** {@code lines}: whole CRLF-terminated lines; each one's first octet is dropped when it is a dot. */
    static void writeUnstuffed(byte[] lines, OutputStream out) throws IOException {
        int from = 0;
        int lineStart = 0;
        while (lineStart < lines.length) {
            if (lines[lineStart] == '.') {
                out.write(lines, from, lineStart - from);
                from = lineStart + 1;
            }
            int lf = LineEnds.indexOfLf(lines, lineStart, lines.length);
            lineStart = lf < 0 ? lines.length : lf + 1;
        }
        out.write(lines, from, lines.length - from);
    }
}
