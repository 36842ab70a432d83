package dev.veil.crypto;

/** What a key store entry is for. The name is part of the entry id and so of the wrapping's associated data. */
enum KeyKind {
    CA("ca"), ESCROW("escrow"), USER("user");

    final String label;

    KeyKind(String label) {
        this.label = label;
    }
}
