package dev.veil.crypto;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The header fields that tell a mail system not to answer a message automatically: {@code Auto-Submitted} (RFC
 * 3834), {@code Precedence} ({@code bulk}, {@code list}, {@code junk}: what vacation programs and Exchange go by) and
 * Microsoft's {@code X-Auto-Response-Suppress} (MS-OXCMAIL 2.2.3.2.14). They name nobody, and without them Exchange's
 * out-of-office and inbox-rule replies answer other automatic replies and list mail — which Veil then delivers to the
 * real sender (a black-box probe). So they are shown outside the encryption, but only as their keywords: a comment or
 * parameter beside a keyword is free text a sender's software wrote, and a value that is no keyword is left out.
 */
public final class AutoReplyFields {
    /** Lower-case names, each with the spelling it is written in. */
    public static final Map<String, String> NAMES = Map.of(
            "auto-submitted", "Auto-Submitted",
            "precedence", "Precedence",
            "x-auto-response-suppress", "X-Auto-Response-Suppress");

    private static final Set<String> AUTO_SUBMITTED = Set.of("no", "auto-generated", "auto-replied", "auto-notified");
    private static final Set<String> PRECEDENCE = Set.of("bulk", "list", "junk");
    /** MS-OXCMAIL's values, in their spelling. */
    private static final List<String> SUPPRESS = List.of("None", "All", "DR", "NDR", "RN", "NRN", "OOF", "AutoReply");

    private AutoReplyFields() {
    }

    /**
     * The value to show for one of {@link #NAMES}, or empty to leave the field out.
     *
     * @param lowerCaseName the field's name in lower case
     * @param value         its value, unfolded
     */
    public static Optional<String> shown(String lowerCaseName, String value) {
        String bare = HeaderField.withoutComments(value).strip();
        switch (lowerCaseName) {
            case "auto-submitted": {
                // RFC 3834 5: the keyword, then optional parameters, which no reader needs
                String keyword = bare.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
                return AUTO_SUBMITTED.contains(keyword) ? Optional.of(keyword) : Optional.empty();
            }
            case "precedence": {
                String keyword = bare.toLowerCase(Locale.ROOT);
                return PRECEDENCE.contains(keyword) ? Optional.of(keyword) : Optional.empty();
            }
            case "x-auto-response-suppress": {
                List<String> values = new ArrayList<>();
                for (String item : bare.split(",")) {
                    String word = item.strip();
                    SUPPRESS.stream().filter(s -> s.equalsIgnoreCase(word)).findFirst()
                            .filter(s -> !values.contains(s)).ifPresent(values::add);
                }
                return values.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", values));
            }
            default:
                return Optional.empty();
        }
    }
}
