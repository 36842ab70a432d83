package dev.veil.crypto;

import dev.veil.config.ContentCipher;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

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
 * @param outerValues     replacement values for fields shown outside (pseudonymised correspondents): lower-case
 *                        field name to the field bodies written instead of every original field of that name, at
 *                        the place of the first; an empty list leaves the field out. The original fields stay
 *                        inside the encryption, unchanged (RFC 9788). Each value is one line of printable ASCII
 *                        (the sealer folds it); only fields that are copied outside at all can be replaced, and
 *                        {@code received}: the gateway's own trace fields, shown first and only from here (a
 *                        Received field of the message is never copied outside).
 */
public record SealRequest(List<String> recipients, boolean escrow, List<String> namedKeys,
                          ContentCipher cipher, String subjectPlaceholder, Set<String> hiddenHeaders,
                          Map<String, List<String>> outerValues) {
    public SealRequest {
        recipients = List.copyOf(recipients);
        namedKeys = List.copyOf(namedKeys);
        hiddenHeaders = Set.copyOf(hiddenHeaders);
        Map<String, List<String>> values = new TreeMap<>();
        for (Map.Entry<String, List<String>> e : outerValues.entrySet()) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (!OuterHeader.COPIED.contains(name) && !name.equals(OuterHeader.TRACE)) {
                throw new IllegalArgumentException("'" + e.getKey() + "' is never shown outside the encryption: "
                        + "only " + String.join(", ", new java.util.TreeSet<>(OuterHeader.COPIED)) + " can be replaced");
            }
            for (String value : e.getValue()) {
                checkValue(name, value);
            }
            values.put(name, List.copyOf(e.getValue()));
        }
        outerValues = java.util.Collections.unmodifiableMap(values);
    }

    public SealRequest(List<String> recipients, boolean escrow, List<String> namedKeys, ContentCipher cipher,
                       String subjectPlaceholder, Set<String> hiddenHeaders) {
        this(recipients, escrow, namedKeys, cipher, subjectPlaceholder, hiddenHeaders, Map.of());
    }

    public SealRequest(List<String> recipients, boolean escrow, List<String> namedKeys, ContentCipher cipher,
                       String subjectPlaceholder) {
        this(recipients, escrow, namedKeys, cipher, subjectPlaceholder, Set.of());
    }

    /** The same request with these outer field values (see {@link #outerValues}). */
    public SealRequest withOuterValues(Map<String, List<String>> values) {
        return new SealRequest(recipients, escrow, namedKeys, cipher, subjectPlaceholder, hiddenHeaders, values);
    }

    /**
     * Longest replacement value. Not 64 KiB: a pseudonymised field is many times as long as the one it replaces (an
     * alias with its display name is some 60 characters where the address may be 20), so a Cc of a thousand
     * partners in a 30 KB message went over it and such mail waited for ever. The original header is at most
     * {@link HeaderBlock#MAX_BYTES}; this bounds what that can become.
     */
    static final int MAX_VALUE_CHARS = 16 * HeaderBlock.MAX_BYTES;

    private static void checkValue(String name, String value) {
        if (value.length() > MAX_VALUE_CHARS) {
            throw new IllegalArgumentException("replacement " + name + " value is over " + MAX_VALUE_CHARS / 1024 / 1024
                    + " MiB");
        }
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            if (b < 0x20 && b != '\t' || b == 0x7f || b < 0) {
                throw new IllegalArgumentException("replacement " + name
                        + " value must be printable ASCII without line breaks (encode words, the sealer folds)");
            }
        }
    }

    /** Whether a header field of the original may be copied outside the encryption. */
    public boolean mayShow(String lowerCaseName) {
        return !hiddenHeaders.contains(lowerCaseName);
    }
}
