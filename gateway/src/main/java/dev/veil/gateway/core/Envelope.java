package dev.veil.gateway.core;

import java.util.List;

/**
 * SMTP envelope: MAIL FROM (empty for the null sender {@code <>}), the accepted RCPT TO addresses, and where the
 * message came from — the client's IP address and its HELO/EHLO name — which sender authentication (SPF) needs
 * after the session is long gone. Both are empty for mail queued before Veil recorded them.
 */
public record Envelope(String sender, List<String> recipients, String clientAddress, String helo) {
    public Envelope {
        sender = sender == null ? "" : sender;
        recipients = List.copyOf(recipients);
        clientAddress = clientAddress == null ? "" : clientAddress;
        helo = helo == null ? "" : helo;
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("an envelope needs at least one recipient");
        }
    }

    /** An envelope without connection details (local submission, tests). */
    public Envelope(String sender, List<String> recipients) {
        this(sender, recipients, "", "");
    }
}
