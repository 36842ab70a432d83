package dev.veil.gateway.contacts;

import ezvcard.VCard;

/**
 * A real card as the vault holds it: the parsed card, and the exact bytes it was imported from when it came from a
 * {@code .vcf} file and has not changed since (null otherwise), so an export can give those bytes back unchanged.
 */
public record VaultedCard(VCard card, byte[] original) {
    public VaultedCard {
        if (card == null) {
            throw new IllegalArgumentException("a vaulted card needs its card");
        }
        original = original == null || original.length == 0 ? null : original.clone();
    }

    /** A card without original bytes (made in Outlook, or edited since its import). */
    public static VaultedCard of(VCard card) {
        return new VaultedCard(card, null);
    }

    @Override
    public byte[] original() {
        return original == null ? null : original.clone();
    }
}
