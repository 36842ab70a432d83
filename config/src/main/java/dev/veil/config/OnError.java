package dev.veil.config;

/** What happens to a message when protection cannot be applied. There is deliberately no value that sends plaintext. */
public enum OnError { DEFER, QUARANTINE, REJECT }
