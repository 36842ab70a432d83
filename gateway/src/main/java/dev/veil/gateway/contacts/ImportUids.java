package dev.veil.gateway.contacts;

import ezvcard.VCard;
import ezvcard.property.Uid;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The UIDs one {@code veil contacts import} run has seen. A card's vault id comes from its UID, so a second, different
 * card with a UID already seen in the same run would replace the first in the vault and in Exchange: it is refused
 * instead (an edit of a card comes from a later import; two cards in one import are two contacts, or a mistake). The
 * same card twice is the same data and goes through.
 */
final class ImportUids {
    private final Map<String, VCardFiles.Card> first = new HashMap<>();

    /** Why {@code card} may not be imported in this run, or empty; records its UID when it is the first. */
    Optional<String> refusal(VCardFiles.Card card) {
        Uid uid = card.card().getUid();
        if (uid == null || uid.getValue() == null || uid.getValue().isBlank()) {
            return Optional.empty(); // the vault id is the whole card: different cards never share it
        }
        VCardFiles.Card seen = first.putIfAbsent(uid.getValue(), card);
        if (seen == null || sameContent(seen, card)) {
            return Optional.empty();
        }
        return Optional.of("UID " + uid.getValue() + " appears twice in this import with different content (first at "
                + seen.where() + "); not imported, the first card is kept (give each contact its own UID)");
    }

    private static boolean sameContent(VCardFiles.Card a, VCardFiles.Card b) {
        if (a.original() != null && b.original() != null && Arrays.equals(a.original(), b.original())) {
            return true;
        }
        try {
            return Arrays.equals(CardCodec.encode(a.card()), CardCodec.encode(b.card()));
        } catch (IllegalArgumentException notStorable) {
            return a.card().equals(b.card()); // neither can be vaulted anyway; the seal reports why
        }
    }
}
