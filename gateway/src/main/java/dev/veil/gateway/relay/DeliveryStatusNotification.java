package dev.veil.gateway.relay;

import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.Spool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * RFC 3464 delivery status notification for bounced recipients, kept in the spool's {@code dsn/} directory.
 * It quotes the original's header (text/rfc822-headers), never its body.
 */
public final class DeliveryStatusNotification {
    /** An enhanced status code where SMTP puts it: first, or right after the 3-digit reply code. */
    private static final Pattern STATUS = Pattern.compile("^\\s*(?:\\d{3}[ -])?([245]\\.\\d{1,3}\\.\\d{1,3})\\b");

    private DeliveryStatusNotification() {
    }

    /** The display name of the notices' sender. */
    public static final String SENDER_NAME = "Mail Delivery System";

    /** Who the notices of Veil on a host of this name come from. */
    public static String sender(String hostname) {
        return "MAILER-DAEMON@" + hostname;
    }

    /**
     * @param failures recipient -> the reply or reason
     * @return the notice's file in {@code spool/dsn/}
     */
    public static Path write(Spool spool, QueueId id, Path original, String sender, Map<String, String> failures,
                             String hostname, java.time.Instant arrival) throws IOException {
        return write(spool, id, original, sender, failures, hostname, arrival, true);
    }

    /**
     * @param quoteHeader whether the original's header is quoted (text/rfc822-headers, optional in RFC 3464): not
     *                    when the notice would carry the real header of protected mail into Exchange in clear
     */
    public static Path write(Spool spool, QueueId id, Path original, String sender, Map<String, String> failures,
                             String hostname, java.time.Instant arrival, boolean quoteHeader) throws IOException {
        String boundary = "veil-dsn-" + UUID.randomUUID();
        Path target = spool.dsnFile(id);
        for (int n = 2; Files.exists(target); n++) {
            // a later attempt bounced other recipients: keep every notice
            target = target.resolveSibling(id.value() + "-" + n + ".eml");
        }
        String name = target.getFileName().toString();
        // each notice its own Message-ID: Exchange drops a message whose id it has already seen, so a second notice
        // for the same message would vanish. The file's name ties it to its notice; the random part keeps it unique
        // should an admin have cleared spool/dsn/ in between.
        String messageId = name.substring(0, name.length() - ".eml".length()) + "."
                + UUID.randomUUID().toString().substring(0, 8) + ".dsn@" + hostname;
        String date = ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME);
        StringBuilder m = new StringBuilder();
        m.append("From: ").append(SENDER_NAME).append(" <").append(sender(hostname)).append(">\r\n");
        m.append("To: <").append(sender).append(">\r\n");
        m.append("Subject: Undelivered Mail Returned to Sender\r\n");
        m.append("Date: ").append(date).append("\r\n");
        m.append("Message-ID: <").append(messageId).append(">\r\n");
        m.append("Auto-Submitted: auto-replied\r\n");
        m.append("MIME-Version: 1.0\r\n");
        m.append("Content-Type: multipart/report; report-type=delivery-status; boundary=\"").append(boundary).append("\"\r\n\r\n");
        m.append("--").append(boundary).append("\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n");
        m.append("This is the mail system at host ").append(hostname).append(".\r\n\r\n");
        m.append("Your message (queue id ").append(id).append(") could not be delivered to one or more recipients.\r\n\r\n");
        failures.forEach((rcpt, why) -> m.append("<").append(rcpt).append(">: ").append(oneLine(why)).append("\r\n"));
        if (!quoteHeader) {
            m.append("\r\nThe message's header is not quoted: this notice is not encrypted, and the header names its"
                    + " correspondents. For the same reason the reasons above give only their status codes.\r\n");
        }
        m.append("\r\n--").append(boundary).append("\r\nContent-Type: message/delivery-status\r\n\r\n");
        m.append("Reporting-MTA: dns; ").append(hostname).append("\r\n");
        m.append("X-Veil-Queue-ID: ").append(id).append("\r\n");
        m.append("Arrival-Date: ").append(arrival.atZone(java.time.ZoneId.systemDefault())
                .format(DateTimeFormatter.RFC_1123_DATE_TIME)).append("\r\n");
        failures.forEach((rcpt, why) -> {
            m.append("\r\nFinal-Recipient: rfc822; ").append(rcpt).append("\r\n");
            m.append("Action: failed\r\n");
            m.append("Status: ").append(status(why)).append("\r\n");
            m.append("Diagnostic-Code: smtp; ").append(oneLine(why)).append("\r\n");
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (quoteHeader) {
            m.append("\r\n--").append(boundary).append("\r\nContent-Type: text/rfc822-headers\r\n\r\n");
            out.write(m.toString().getBytes(StandardCharsets.UTF_8));
            out.write(headerOf(original));
        } else {
            out.write(m.toString().getBytes(StandardCharsets.UTF_8));
        }
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        Spool.writeAtomically(target, out.toByteArray());
        return target;
    }

    static String status(String reply) {
        Matcher matcher = STATUS.matcher(reply == null ? "" : reply);
        return matcher.find() ? matcher.group(1).replaceFirst("^[24]", "5") : "5.0.0";
    }

    private static final Pattern CODES =
            Pattern.compile("^\\s*(\\d{3}(?=[ -]|$))?[ -]?\\s*([245]\\.\\d{1,3}\\.\\d{1,3}\\b)?");

    /**
     * The reply code and the enhanced status code at the start of {@code reply} ("550 5.1.1", "554", "4.4.7"), or
     * nothing: a reason without the text that follows them.
     */
    public static String replyCodes(String reply) {
        Matcher m = CODES.matcher(reply == null ? "" : reply);
        StringBuilder codes = new StringBuilder();
        if (m.find()) {
            for (int group = 1; group <= 2; group++) {
                if (m.group(group) != null) {
                    codes.append(codes.length() == 0 ? "" : " ").append(m.group(group));
                }
            }
        }
        return codes.toString();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n]+", " ").trim();
    }

    /** The original's header section (up to 256 KiB), CRLF-terminated. */
    private static byte[] headerOf(Path original) throws IOException {
        if (original == null || !Files.exists(original)) {
            return new byte[0];
        }
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        try (InputStream in = Files.newInputStream(original)) {
            int previous = -1;
            int lineLength = 0;
            int b;
            while ((b = in.read()) >= 0 && header.size() < 256 * 1024) {
                header.write(b);
                if (b == '\n') {
                    if (lineLength <= 1 && (previous == '\r' || previous == '\n')) {
                        break;
                    }
                    lineLength = 0;
                } else {
                    lineLength++;
                }
                previous = b;
            }
        }
        return header.toByteArray();
    }
}
