package dev.veil.config;

import java.util.List;

/**
 * What a rule applies to. Empty lists match everything; {@code direction} null matches both.
 * Patterns are addresses, domains ({@code example.com}, {@code *.example.com}) or globs ({@code *@example.com}).
 */
public record Match(List<String> recipients, List<String> senders, Direction direction) {
    public Match {
        recipients = List.copyOf(recipients);
        senders = List.copyOf(senders);
    }
}
