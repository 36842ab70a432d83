package dev.veil.crypto;

import dev.veil.config.ContentCipher;
import java.util.List;
import java.util.Set;

/**
 * Seal a message for these targets.
 *
 * @param recipients      protected recipients' addresses, each gets the message encrypted to its certificate
 * @param escrow          also encrypt to the organisation escrow key
 * @param namedKeys       further keys named in the policy
 * @param cipher          content encryption algorithm
 * @param subjectPlaceholder the Subject shown outside the encrypted part
 * @param hiddenHeaders   lower-case names of further header fields that must not appear outside (e.g. references);
 *                        only routing and MIME fields are ever copied outside, this narrows them further
 */
public record SealRequest(List<String> recipients, boolean escrow, List<String> namedKeys,
                          ContentCipher cipher, String subjectPlaceholder, Set<String> hiddenHeaders) {
    public SealRequest {
        recipients = List.copyOf(recipients);
        namedKeys = List.copyOf(namedKeys);
        hiddenHeaders = Set.copyOf(hiddenHeaders);
    }

    public SealRequest(List<String> recipients, boolean escrow, List<String> namedKeys, ContentCipher cipher,
                       String subjectPlaceholder) {
        this(recipients, escrow, namedKeys, cipher, subjectPlaceholder, Set.of());
    }

    /** Whether a header field of the original may be copied outside the encryption. */
    public boolean mayShow(String lowerCaseName) {
        return !hiddenHeaders.contains(lowerCaseName);
    }
}
