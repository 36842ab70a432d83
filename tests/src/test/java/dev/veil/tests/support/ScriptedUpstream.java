package dev.veil.tests.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A real SMTP server on loopback whose replies a test chooses: the misbehaving Exchange that GreenMail cannot
 * play. {@link Mode#BLACK_HOLE} accepts connections and never says a word; {@link Mode#ACCEPT} takes every message
 * and keeps its data, also from the null sender {@code MAIL FROM:<>}, which GreenMail refuses at RCPT.
 */
public final class ScriptedUpstream implements AutoCloseable {
    public enum Mode { BLACK_HOLE, REJECT_RCPT, DEFER_RCPT, REJECT_DATA, ACCEPT }

    private final ServerSocket server;
    private final Mode mode;
    private final String reply;
    private final List<Socket> clients = Collections.synchronizedList(new ArrayList<>());
    private final List<String> commands = Collections.synchronizedList(new ArrayList<>());
    private final List<String> messages = Collections.synchronizedList(new ArrayList<>());
    private final Thread acceptor;

    public ScriptedUpstream(int port, Mode mode, String reply) throws IOException {
        this.server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        this.mode = mode;
        this.reply = reply;
        this.acceptor = new Thread(this::accept, "scripted-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                clients.add(s);
                if (mode != Mode.BLACK_HOLE) {
                    Thread t = new Thread(() -> converse(s), "scripted-upstream-session");
                    t.setDaemon(true);
                    t.start();
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    private void converse(Socket s) {
        try (s) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = s.getOutputStream();
            say(out, "220 scripted.test ESMTP");
            boolean inData = false;
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null) {
                if (inData) {
                    if (line.equals(".")) {
                        inData = false;
                        if (mode != Mode.REJECT_DATA) {
                            messages.add(data.toString());
                        }
                        data.setLength(0);
                        say(out, mode == Mode.REJECT_DATA ? reply : "250 2.0.0 accepted");
                    } else {
                        data.append(line.startsWith(".") ? line.substring(1) : line).append("\r\n");
                    }
                    continue;
                }
                commands.add(line);
                String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(Locale.ROOT) : line;
                switch (verb) {
                    case "EHLO" -> say(out, "250-scripted.test\r\n250 8BITMIME");
                    case "HELO", "MAIL", "RSET", "NOOP" -> say(out, "250 2.0.0 ok");
                    case "RCPT" -> say(out, switch (mode) {
                        case REJECT_RCPT, DEFER_RCPT -> reply;
                        default -> "250 2.1.5 ok";
                    });
                    case "DATA" -> {
                        inData = true;
                        say(out, "354 go ahead");
                    }
                    case "QUIT" -> {
                        say(out, "221 bye");
                        return;
                    }
                    default -> say(out, "502 5.5.1 not here");
                }
            }
        } catch (IOException ignored) {
            // the client went away
        }
    }

    private static void say(OutputStream out, String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Commands the upstream has seen (not message data). */
    public List<String> commands() {
        synchronized (commands) {
            return List.copyOf(commands);
        }
    }

    /** The data of every message taken (dot-unstuffed, CRLF line ends). */
    public List<String> messages() {
        synchronized (messages) {
            return List.copyOf(messages);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public int connections() {
        return clients.size();
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            // a connection accept() returned just before the close is added to clients first: closed below too, so
            // no socket is left holding the port for the next server a test starts on it
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (clients) {
            for (Socket s : clients) {
                // an abortive close (RST): nothing of this connection lingers on the port (GreenMail failed once to
                // bind it after a black hole: "Address already in use")
                try {
                    s.setSoLinger(true, 0);
                } catch (IOException alreadyClosed) {
                    // nothing to abort
                }
                s.close();
            }
        }
    }
}
