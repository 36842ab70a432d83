package dev.veil.config;

/** The rule that matched a recipient and the action it prescribes. */
public record Decision(Rule rule, Action action) {
}
