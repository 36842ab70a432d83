package dev.veil.gateway.correspondents;

import java.util.Optional;

/**
 * Reverses what inbound pseudonymisation did to a correspondent, for mail leaving the business: alias addresses
 * ({@code c-<token>@<alias domain>}) back to real addresses, tokenised Message-IDs back to the real ones. Empty
 * means "not one of ours" (unknown, malformed, foreign domain or made with a key Veil does not hold): the caller
 * refuses such an alias as a recipient ({@code 550 5.1.1}) and leaves such a header field as it is.
 */
public interface Reidentifier {

    /** Whether the address lies in one of the alias domains (so it must resolve, or be refused). */
    boolean isAliasAddress(String address);

    /** The real address behind an alias address. */
    Optional<String> realAddress(String aliasAddress);

    /** The real Message-ID (with angle brackets) behind a tokenised one (with angle brackets). */
    Optional<String> realMessageId(String tokenisedMessageId);

    /**
     * The alias that stands for a real address under the current pseudonym key, when the directory holds it; empty
     * otherwise. For naming a recipient that the user addressed by alias where only the real address is left (a Bcc
     * is in the envelope, not the header).
     */
    default Optional<String> aliasOf(String realAddress) {
        return Optional.empty();
    }

    /**
     * The key under which a correspondent's part in messages is recorded (its alias local part under the current
     * pseudonym key, lower case), whether or not the directory holds it; empty for an address that is not one.
     */
    default Optional<String> partyOf(String realAddress) {
        return Optional.empty();
    }

    /**
     * Whether a display name is one Veil gives correspondents outside (a rule's {@code display-name}, such as
     * "Correspondent 7QF2", or a contact's pseudonymised names): it names nobody, so it does not go to the real
     * person with their address.
     */
    default boolean isLabel(String displayName) {
        return false;
    }
}
