package dev.veil.gateway.contacts;

import ezvcard.VCard;
import java.util.Optional;

/**
 * The seam between the contacts vault and the Microsoft Graph sync: a real contact goes in, the pseudonymised
 * contact that Exchange may hold comes out, and back. The sealed card's UID is its vault id (the same real contact
 * of the same mailbox always gets the same vault id); it is the only link the sync keeps between an Exchange
 * contact and its real data, so the Graph mapping must carry it through Exchange and back.
 */
public interface ContactProtector {

    /**
     * Vaults the real card for the mailbox (replacing an earlier version with the same vault id) and returns the sealed
     * card. Idempotent. {@code original}: the exact bytes the card was read from in a {@code .vcf} file, or null when it
     * was not read from one; without it, original bytes vaulted earlier are kept only while the card is unchanged.
     */
    VCard seal(String mailbox, VCard real, byte[] original) throws ContactException;

    /** {@link #seal(String, VCard, byte[])} of a card that was not read from a file. */
    default VCard seal(String mailbox, VCard real) throws ContactException {
        return seal(mailbox, real, null);
    }

    /** The real card behind a vault id, with its original bytes if it has them, if the vault has it. */
    Optional<VaultedCard> revealVaulted(String mailbox, String vaultId) throws ContactException;

    /** The real card behind a vault id, if the vault has it. */
    default Optional<VCard> reveal(String mailbox, String vaultId) throws ContactException {
        return revealVaulted(mailbox, vaultId).map(VaultedCard::card);
    }

    /**
     * The sealed card Veil made of {@code real} under {@code vaultId}'s key version, without touching the vault: what
     * Exchange holds of it if nobody has edited it there, also after a key rotation.
     */
    VCard sealedForm(String mailbox, VCard real, String vaultId) throws ContactException;

    /**
     * The sealed card the current policy makes of {@code real} under {@code vaultId}'s key version, never the one stored
     * with the vault row: for one property alone, what Exchange shows of it (the merge of Outlook edits asks this to
     * tell which real value an unchanged sealed value stands for).
     */
    VCard sealedAnew(String mailbox, VCard real, String vaultId) throws ContactException;

    /** Whether a vault id was made under an older pseudonym key version than the current one (its contact wants re-sealing). */
    boolean isStale(String vaultId) throws ContactException;

    /** Deletes the real data behind a vault id (delete means delete); true if there was any. */
    boolean forget(String mailbox, String vaultId) throws ContactException;

    /** Whether a card (as read back from Exchange) was sealed by Veil, i.e. its UID is a vault id Veil issued. */
    boolean isSealed(VCard card);
}
