package dev.veil.crypto;

import dev.veil.config.ContentCipher;
import java.util.List;

/**
 * Seal a message for these targets.
 *
 * @param recipients      protected recipients' addresses, each gets the message encrypted to its certificate
 * @param escrow          also encrypt to the organisation escrow key
 * @param namedKeys       further keys named in the policy
 * @param cipher          content encryption algorithm
 * @param subjectPlaceholder the Subject shown outside the encrypted part
 */
public record SealRequest(List<String> recipients, boolean escrow, List<String> namedKeys,
                          ContentCipher cipher, String subjectPlaceholder) {
    public SealRequest {
        recipients = List.copyOf(recipients);
        namedKeys = List.copyOf(namedKeys);
    }
}
