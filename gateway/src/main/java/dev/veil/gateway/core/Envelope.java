package dev.veil.gateway.core;

import java.util.List;

/** SMTP envelope: MAIL FROM (empty for the null sender {@code <>}) and the accepted RCPT TO addresses. */
public record Envelope(String sender, List<String> recipients) {
    public Envelope {
        sender = sender == null ? "" : sender;
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("an envelope needs at least one recipient");
        }
    }
}
