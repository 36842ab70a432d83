package dev.veil.tests.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A minimal, strict SMTP submission client: one message per call, returns the final reply (with the queue id). */
public final class SmtpSubmit {
    private static final Pattern QUEUED = Pattern.compile("queued as ([0-9A-Z]+)");

    private SmtpSubmit() {
    }

    public record Reply(int code, String text) {
        public String queueId() {
            Matcher m = QUEUED.matcher(text);
            return m.find() ? m.group(1) : null;
        }
    }

    /** Sends {@code data} (CRLF lines, no dot-stuffing needed for test messages without leading dots). */
    public static Reply send(int port, String from, String to, String data) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            expect(in, 220);
            command(out, in, "EHLO client.test", 250);
            command(out, in, "MAIL FROM:<" + from + ">", 250);
            command(out, in, "RCPT TO:<" + to + ">", 250);
            command(out, in, "DATA", 354);
            out.write(data.getBytes(StandardCharsets.ISO_8859_1));
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Reply reply = read(in);
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return reply;
        }
    }

    /** A small test message with a unique Message-ID and a recognisable secret line. */
    public static String message(String id, String to, String secret) {
        return "From: Sender <sender@partner.example>\r\n"
                + "To: <" + to + ">\r\n"
                + "Subject: confidential " + id + "\r\n"
                + "Message-ID: <" + id + "@partner.example>\r\n"
                + "Date: Sun, 29 Nov 2026 12:00:00 +0000\r\n"
                + "\r\n"
                + secret + "\r\n";
    }

    private static void command(OutputStream out, BufferedReader in, String line, int expected) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        expect(in, expected);
    }

    private static void expect(BufferedReader in, int expected) throws IOException {
        Reply reply = read(in);
        if (reply.code() != expected) {
            throw new IOException("expected " + expected + ", got " + reply.code() + " " + reply.text());
        }
    }

    private static Reply read(BufferedReader in) throws IOException {
        StringBuilder text = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            text.append(line).append('\n');
            if (line.length() < 4 || line.charAt(3) != '-') {
                return new Reply(Integer.parseInt(line.substring(0, 3)), text.toString().trim());
            }
        }
        throw new IOException("connection closed; got so far: " + text);
    }
}
