package dev.veil.tests.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately dumb SMTP client over a plain socket: it writes exactly the bytes it is given (no line-ending
 * fix-ups, no dot-stuffing) and reads replies, multi-line ones included. Tests use it to send what no well-behaved
 * client would. Every byte in both directions is kept in {@link #transcript()} for failure messages.
 */
public final class RawSmtp implements AutoCloseable {
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final StringBuilder transcript = new StringBuilder();
    private boolean eof;

    /** One reply: its code (-1 when the server closed the connection instead) and its lines without CRLF. */
    public record Reply(int code, List<String> lines) {
        static final Reply CLOSED = new Reply(-1, List.of());

        public boolean closed() {
            return code < 0;
        }

        /** The text of the first line after the code and separator, e.g. {@code 5.7.1 Relaying denied...}. */
        public String text() {
            return lines.isEmpty() ? "" : lines.get(0).length() > 4 ? lines.get(0).substring(4) : "";
        }

        /** Texts of all lines after the code: EHLO keywords. */
        public List<String> texts() {
            return lines.stream().map(l -> l.length() > 4 ? l.substring(4) : "").toList();
        }

        public boolean isPermanentFailure() {
            return code >= 500 && code <= 599;
        }

        @Override
        public String toString() {
            return closed() ? "(connection closed)" : String.join(" | ", lines);
        }
    }

    private RawSmtp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects; the greeting is not read (see {@link #read()}). */
    public static RawSmtp connect(int port) {
        try {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout((int) DEFAULT_TIMEOUT.toMillis());
            s.setTcpNoDelay(true);
            return new RawSmtp(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connects and reads the greeting, which must be 220. */
    public static RawSmtp open(int port) {
        RawSmtp smtp = connect(port);
        Reply greeting = smtp.read();
        if (greeting.code() != 220) {
            smtp.close();
            throw new AssertionError("expected a 220 greeting, got " + greeting);
        }
        return smtp;
    }

    /** Connects, reads the greeting and sends EHLO; returns the EHLO reply (must be 250). */
    public static RawSmtp openEhlo(int port) {
        RawSmtp smtp = open(port);
        Reply ehlo = smtp.command("EHLO client.partner.example");
        if (ehlo.code() != 250) {
            smtp.close();
            throw new AssertionError("expected 250 to EHLO, got " + ehlo);
        }
        return smtp;
    }

    /** Writes exactly these bytes, in one write call. */
    public RawSmtp send(byte[] bytes) {
        transcript.append("C: ").append(visible(new String(bytes, StandardCharsets.ISO_8859_1), 400)).append('\n');
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("write failed; transcript:\n" + transcript, e);
        }
        return this;
    }

    /** Writes exactly these characters (ISO-8859-1), in one write call: no CRLF is added. */
    public RawSmtp send(String raw) {
        return send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Sends {@code line + CRLF} and reads one reply. */
    public Reply command(String line) {
        send(line + "\r\n");
        return read();
    }

    /** Reads one (possibly multi-line) reply; {@link Reply#CLOSED} when the server closed the connection first. */
    public Reply read() {
        return read(DEFAULT_TIMEOUT);
    }

    public Reply read(Duration timeout) {
        List<String> lines = new ArrayList<>();
        try {
            socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            while (true) {
                String line = readLine();
                if (line == null) {
                    if (!lines.isEmpty()) {
                        throw new AssertionError("connection closed inside a multi-line reply; transcript:\n"
                                + transcript);
                    }
                    return Reply.CLOSED;
                }
                if (line.length() < 3 || !line.substring(0, 3).chars().allMatch(Character::isDigit)
                        || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                    throw new AssertionError("not an SMTP reply line: '" + visible(line, 200) + "'; transcript:\n"
                            + transcript);
                }
                lines.add(line);
                if (line.length() == 3 || line.charAt(3) == ' ') {
                    return new Reply(Integer.parseInt(line.substring(0, 3)), List.copyOf(lines));
                }
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no reply in " + timeout + "; transcript:\n" + transcript);
        } catch (IOException e) {
            throw new UncheckedIOException("read failed; transcript:\n" + transcript, e);
        }
    }

    /**
     * Waits up to {@code timeout} for the server to close the connection (EOF or reset). Returns true if it did;
     * anything the server sent meanwhile is in the transcript.
     */
    public boolean awaitClosedByServer(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!eof) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                socket.setSoTimeout((int) Math.max(1, left));
                try {
                    int b = in.read();
                    if (b < 0) {
                        eof = true;
                    } else {
                        transcript.append("S(after): ").append(visible(String.valueOf((char) b), 10)).append('\n');
                    }
                } catch (SocketTimeoutException e) {
                    return false;
                }
            }
            return true;
        } catch (SocketException reset) {
            eof = true;
            transcript.append("S: (connection reset)\n");
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads one line ending in LF (CR stripped); null at EOF or reset with nothing read. */
    private String readLine() throws IOException {
        if (eof) {
            return null;
        }
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b;
            try {
                b = in.read();
            } catch (SocketException reset) {
                // a server that closes with our unread bytes in its buffer sends RST; what came before still counts
                transcript.append("S: (connection reset: ").append(reset.getMessage()).append(")\n");
                b = -1;
            }
            if (b < 0) {
                eof = true;
                if (line.size() == 0) {
                    transcript.append("S: (closed)\n");
                    return null;
                }
                String partial = line.toString(StandardCharsets.ISO_8859_1);
                transcript.append("S: ").append(visible(partial, 400)).append(" (no line end, closed)\n");
                return partial;
            }
            if (b == '\n') {
                String s = line.toString(StandardCharsets.ISO_8859_1);
                if (s.endsWith("\r")) {
                    s = s.substring(0, s.length() - 1);
                }
                transcript.append("S: ").append(s).append('\n');
                return s;
            }
            line.write(b);
        }
    }

    public String transcript() {
        return transcript.toString();
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** CR and LF made visible, long strings shortened, for transcripts. */
    public static String visible(String s, int max) {
        String v = s.replace("\r", "<CR>").replace("\n", "<LF>");
        return v.length() <= max ? v : v.substring(0, max) + "...(" + s.length() + " chars)";
    }
}
