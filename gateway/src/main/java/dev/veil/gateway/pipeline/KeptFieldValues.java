package dev.veil.gateway.pipeline;

import dev.veil.crypto.AutoReplyFields;
import dev.veil.crypto.HeaderField;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a rewritten header shows of the fields {@link PseudonymiseStep#KEPT} keeps: their values, not the free text a
 * sender's software wrote beside them. {@code MIME-Version: 1.0 (Created by Exchange at mail.partner.example)}, a
 * comment in Importance or Content-Type, or an odd Content-Type parameter would name the correspondent next to its
 * alias. So comments go from every structured field; a field whose value is not of its kind (a priority that is no
 * priority) is left out; Content-Type and Content-Disposition keep only the parameters MIME defines; and when the body
 * is already encrypted, so that Exchange sees nothing else of it, the top-level Content-Type and Content-Disposition
 * keep only the parameters that say how to read it (a file name only when it is one of the conventional names of an
 * encrypted part) and Content-Description goes. Subject and Thread-Topic are shown as written: they are the subject,
 * which such mail shows anyway.
 */
final class KeptFieldValues {
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}");
    /** {@code type/subtype}, or a disposition's one token. */
    private static final Pattern MEDIA_TYPE = Pattern.compile(TOKEN.pattern() + "(?: ?/ ?" + TOKEN.pattern() + ")?");
    private static final Pattern MIME_VERSION = Pattern.compile("\\d{1,2} ?\\. ?\\d{1,2}");
    private static final Pattern X_PRIORITY = Pattern.compile("[1-5]");
    private static final Pattern LANGUAGES = Pattern.compile("[A-Za-z0-9-]{1,35}(?: ?, ?[A-Za-z0-9-]{1,35}){0,15}");
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]{4,1000}={0,2}");
    private static final Set<String> IMPORTANCE = Set.of("low", "normal", "high");
    private static final Set<String> PRIORITY = Set.of("normal", "urgent", "non-urgent");
    private static final Set<String> SENSITIVITY = Set.of("personal", "private", "company-confidential", "normal");
    /** Content-Type and Content-Disposition parameters that say how to read the content, and nothing about anyone. */
    private static final Set<String> READING_PARAMETERS = Set.of("charset", "micalg", "smime-type", "report-type",
            "format", "delsp", "method", "component");
    /**
     * The parameters the MIME standards define for a top-level Content-Type or Content-Disposition (RFC 2045, 2046,
     * 2183, 2387, 3156, 3676, 5545, 6522, 8551). A body in clear keeps these as written (its own names are readable in
     * it anyway); any other parameter ({@code x-sender="bob@partner.example"}, {@code x-mac-creator}) is free text
     * that readers ignore (RFC 2045 section 5), so it goes.
     */
    private static final Set<String> MIME_PARAMETERS = Set.of("charset", "boundary", "format", "delsp", "reply-type",
            "name", "filename", "creation-date", "modification-date", "read-date", "size", "protocol", "micalg",
            "smime-type", "type", "start", "start-info", "report-type", "method", "component", "access-type",
            "expiration", "site", "directory", "mode", "server", "subject", "permission", "id", "number", "total",
            "differences");
    /** A charset, micalg, smime-type...: no dots, so no host name ({@code ISO_8859-1:1987}, {@code pgp-sha256}). */
    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9_:+-]{1,40}");
    /** RFC 2046 5.1.1: 1 to 70 of these, not ending in a space. */
    private static final Pattern BOUNDARY = Pattern.compile("[0-9A-Za-z'()+_,\\-./:=? ]{0,69}[0-9A-Za-z'()+_,\\-./:=?]");
    /** The names senders' software gives an encrypted part (RFC 8551 3.2.1, RFC 3156 and common practice). */
    private static final Pattern ENCRYPTED_PART_NAME = Pattern.compile(
            "(?i)smime\\.p7[mcsz]|(?:encrypted|msg|openpgp-encrypted-message)\\.asc");

    private KeptFieldValues() {
    }

    /**
     * The value to show for a kept field, or empty to leave the field out.
     *
     * @param name       the field name, lower case
     * @param value      the field's value, unfolded
     * @param opaqueBody whether the body is already encrypted, so that the header is all Exchange can read
     */
    static Optional<String> shown(String name, String value, boolean opaqueBody) {
        switch (name) {
            case "subject", "thread-topic":
                return Optional.of(value);
            case "content-description": // free text about the content, which is all Exchange sees of an opaque body
                return opaqueBody ? Optional.empty() : Optional.of(value);
            case "mime-version":
                return matching(MIME_VERSION, withoutComments(value)).map(v -> v.replace(" ", ""));
            case "importance":
                return keyword(value, IMPORTANCE);
            case "priority":
                return keyword(value, PRIORITY);
            case "sensitivity":
                return keyword(value, SENSITIVITY);
            case "auto-submitted", "precedence", "x-auto-response-suppress":
                return AutoReplyFields.shown(name, value);
            case "x-priority":
                // "1 (Highest)": the digit is what mail clients read
                return matching(X_PRIORITY, withoutComments(value).split(" ", 2)[0]);
            case "content-transfer-encoding":
                return matching(TOKEN, withoutComments(value));
            case "content-language":
                return matching(LANGUAGES, withoutComments(value));
            case "thread-index":
                return matching(BASE64, withoutComments(value));
            case "content-type", "content-disposition":
                return typeAndParameters(withoutComments(value), opaqueBody);
            default:
                return Optional.empty(); // a field this class does not know is not shown
        }
    }

    private static Optional<String> keyword(String value, Set<String> keywords) {
        String word = withoutComments(value);
        return keywords.contains(word.toLowerCase(Locale.ROOT)) ? Optional.of(word) : Optional.empty();
    }

    private static Optional<String> matching(Pattern pattern, String value) {
        return pattern.matcher(value).matches() ? Optional.of(value) : Optional.empty();
    }

    /**
     * {@code type/subtype; name=value; ...} without comments; for an opaque body only the parameters that say how
     * to read it, with values of their kind ({@link #readingParameter}), for a body in clear the parameters MIME
     * defines ({@link #MIME_PARAMETERS}). A type that is not {@code token} or {@code token/token} leaves
     * the field out (the body is then read as the default, text/plain or inline).
     */
    private static Optional<String> typeAndParameters(String value, boolean opaqueBody) {
        List<String> parts = splitOutsideQuotes(value);
        String type = parts.get(0).strip();
        if (!MEDIA_TYPE.matcher(type).matches()) {
            return Optional.empty();
        }
        StringBuilder shown = new StringBuilder(type.replace(" ", ""));
        for (String parameter : parts.subList(1, parts.size())) {
            int equals = parameter.indexOf('=');
            if (equals <= 0) {
                continue; // "; ;" or a parameter without a value: nothing to read
            }
            String parameterName = parameter.substring(0, equals).strip().toLowerCase(Locale.ROOT);
            String parameterValue = parameter.substring(equals + 1).strip();
            if (!TOKEN.matcher(parameterName).matches() || parameterValue.isEmpty()) {
                continue;
            }
            if (opaqueBody ? readingParameter(parameterName, unquoted(parameterValue))
                    : MIME_PARAMETERS.contains(baseName(parameterName))) {
                shown.append("; ").append(parameterName).append('=').append(parameterValue);
            }
        }
        return Optional.of(shown.toString());
    }

    /**
     * Whether a parameter of an opaque body's Content-Type or Content-Disposition says how to read it, with a value of
     * its kind: a charset that is a word without dots, a protocol that is a media type, a boundary of RFC 2046's characters (no
     * {@code @}), an encrypted part's usual file name. {@code charset="carol@partner.example"} is none of these.
     */
    private static boolean readingParameter(String name, String value) {
        switch (name) {
            case "boundary":
                return BOUNDARY.matcher(value).matches();
            case "protocol", "type":
                return value.indexOf('/') > 0 && MEDIA_TYPE.matcher(value).matches();
            case "name", "filename":
                return ENCRYPTED_PART_NAME.matcher(value).matches();
            default:
                return READING_PARAMETERS.contains(name) && WORD.matcher(value).matches();
        }
    }

    /** The name of an RFC 2231 parameter section or extended value ({@code filename*0*}) without its marks. */
    private static String baseName(String parameterName) {
        int star = parameterName.indexOf('*');
        return star < 0 ? parameterName : parameterName.substring(0, star);
    }

    private static String unquoted(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                ? value.substring(1, value.length() - 1).replace("\\", "") : value;
    }

    /** The value split at semicolons that are not inside a quoted string. */
    private static List<String> splitOutsideQuotes(String value) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quoted && c == '\\' && i + 1 < value.length()) {
                part.append(c).append(value.charAt(++i));
                continue;
            }
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ';' && !quoted) {
                parts.add(part.toString());
                part.setLength(0);
                continue;
            }
            part.append(c);
        }
        parts.add(part.toString());
        return parts;
    }

    private static String withoutComments(String value) {
        return HeaderField.withoutComments(value);
    }
}
