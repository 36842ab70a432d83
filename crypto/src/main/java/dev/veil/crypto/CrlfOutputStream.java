package dev.veil.crypto;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Passes bytes through with every line end made CRLF: bare LF and bare CR become CRLF, CRLF stays.
 * Nothing else changes. S/MIME content is canonical CRLF text, and this is what makes the decrypted
 * message equal the original byte for byte apart from line ends.
 *
 * <p>{@link #close()} (or {@link #finish()}) completes a trailing bare CR; it does not close the target
 * when built with {@code closeTarget = false}.
 */
final class CrlfOutputStream extends FilterOutputStream {
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] CRLF = {CR, LF};

    private final boolean closeTarget;
    private boolean afterCr;
    private boolean finished;

    CrlfOutputStream(OutputStream target, boolean closeTarget) {
        // buffered: a line is two writes here, and each small write into a cipher stream costs a cipher call
        super(new java.io.BufferedOutputStream(target, 64 * 1024));
        this.closeTarget = closeTarget;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        int runStart = offset;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            byte b = bytes[i];
            if (afterCr) {
                afterCr = false;
                if (b == LF) {
                    // The CR was held back; CRLF is already canonical.
                    out.write(CRLF);
                    runStart = i + 1;
                    continue;
                }
                out.write(CRLF); // the held-back CR was bare
            }
            if (b == CR || b == LF) {
                out.write(bytes, runStart, i - runStart);
                if (b == LF) {
                    out.write(CRLF);
                } else {
                    afterCr = true;
                }
                runStart = i + 1;
            }
        }
        out.write(bytes, runStart, end - runStart);
    }

    /** Writes out a held-back final CR as CRLF and everything buffered; further writes are not allowed. */
    void finish() throws IOException {
        if (!finished) {
            finished = true;
            if (afterCr) {
                afterCr = false;
                out.write(CRLF);
            }
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        finish();
        flush();
        if (closeTarget) {
            out.close();
        }
    }
}
