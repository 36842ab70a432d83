package dev.veil.crypto;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A Content-Type (or Content-Disposition) value, parsed leniently: comments removed, quoted strings
 * understood, names lower-cased, RFC 2231 parameter continuations and charsets joined/decoded.
 *
 * @param value      the media type ({@code application/pkcs7-mime}) or disposition type, lower-cased
 * @param parameters parameter names lower-cased, values as given (unquoted)
 */
record ContentType(String value, Map<String, String> parameters) {

    static ContentType parse(String header) {
        String text = HeaderField.withoutComments(header);
        Map<String, String> parameters = new LinkedHashMap<>();
        Map<String, StringBuilder> continued = new LinkedHashMap<>();
        int i = text.indexOf(';');
        String value = (i < 0 ? text : text.substring(0, i)).strip().toLowerCase(Locale.ROOT);
        while (i >= 0 && i < text.length()) {
            int start = i + 1;
            int equals = text.indexOf('=', start);
            int nextSemicolon = text.indexOf(';', start);
            if (equals < 0 || (nextSemicolon >= 0 && nextSemicolon < equals)) {
                i = nextSemicolon;
                continue;
            }
            String name = text.substring(start, equals).strip().toLowerCase(Locale.ROOT);
            StringBuilder parameterValue = new StringBuilder();
            int j = equals + 1;
            while (j < text.length() && Character.isWhitespace(text.charAt(j))) {
                j++;
            }
            if (j < text.length() && text.charAt(j) == '"') {
                j++;
                while (j < text.length() && text.charAt(j) != '"') {
                    if (text.charAt(j) == '\\' && j + 1 < text.length()) {
                        j++;
                    }
                    parameterValue.append(text.charAt(j));
                    j++;
                }
                int after = text.indexOf(';', j);
                i = after;
            } else {
                int after = text.indexOf(';', j);
                parameterValue.append((after < 0 ? text.substring(j) : text.substring(j, after)).strip());
                i = after;
            }
            addParameter(name, parameterValue.toString(), parameters, continued);
        }
        continued.forEach((name, joined) -> parameters.putIfAbsent(name, joined.toString()));
        return new ContentType(value, Map.copyOf(parameters));
    }

    String parameter(String name) {
        return parameters.get(name);
    }

    /** RFC 2231: {@code name*0=...; name*1=...} are joined; {@code name*=utf-8''...} is percent-decoded. */
    private static void addParameter(String name, String value, Map<String, String> parameters,
                                     Map<String, StringBuilder> continued) {
        int star = name.indexOf('*');
        if (star < 0) {
            parameters.putIfAbsent(name, value);
            return;
        }
        String base = name.substring(0, star);
        String decoded = value;
        boolean extended = name.endsWith("*");
        if (extended) {
            int quote = value.indexOf('\'');
            int secondQuote = quote < 0 ? -1 : value.indexOf('\'', quote + 1);
            String encoded = secondQuote < 0 ? value : value.substring(secondQuote + 1);
            try {
                decoded = URLDecoder.decode(encoded.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException malformed) {
                decoded = encoded;
            }
        }
        continued.computeIfAbsent(base, b -> new StringBuilder()).append(decoded);
    }
}
