package dev.veil.gateway.auth;

import dev.veil.crypto.HeaderField;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The {@code Authentication-Results} header field (RFC 8601) that records a verdict, and the ARC copy of it
 * (RFC 8617 {@code ARC-Authentication-Results}). Property values that are not plain tokens are quoted, so what a
 * sender chose as its address cannot inject results of its own.
 */
public final class AuthenticationResults {
    public static final String FIELD = "Authentication-Results";
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9!#$%&'*+\\-.^_`{|}~]+");
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~.]+@[A-Za-z0-9.\\-]+");
    private static final String FOLD = "\r\n\t";

    private AuthenticationResults() {
    }

    /** The method results, each one {@code method=result property=value ...}, in the order SPF, DKIM, DMARC. */
    public static List<String> resultClauses(AuthVerdict verdict) {
        List<String> clauses = new ArrayList<>();
        SpfEvaluator.Verdict spf = verdict.spf();
        clauses.add("spf=" + spf.result().keyword()
                + (spf.identity().isEmpty() ? "" : " " + spf.property() + "=" + value(spf.identity())));
        if (verdict.dkim().isEmpty()) {
            clauses.add("dkim=none");
        }
        for (DkimChecker.Result r : verdict.dkim()) {
            StringBuilder c = new StringBuilder("dkim=").append(r.status().keyword());
            if (r.status() != DkimChecker.Status.PASS && !r.reason().isEmpty()) {
                c.append(" reason=").append(quoted(r.reason()));
            }
            if (!r.domain().isEmpty()) {
                c.append(" header.d=").append(value(r.domain()));
            }
            if (!r.selector().isEmpty()) {
                c.append(" header.s=").append(value(r.selector()));
            }
            if (!r.signatureStart().isEmpty()) {
                c.append(" header.b=").append(value(r.signatureStart()));
            }
            clauses.add(c.toString());
        }
        DmarcEvaluator.Verdict dmarc = verdict.dmarc();
        StringBuilder d = new StringBuilder("dmarc=").append(dmarc.result().keyword());
        if (dmarc.result() == DmarcResult.FAIL) {
            d.append(" policy.dmarc=").append(dmarc.policy().keyword());
        }
        if (!dmarc.fromDomain().isEmpty()) {
            d.append(" header.from=").append(value(dmarc.fromDomain()));
        }
        clauses.add(d.toString());
        return clauses;
    }

    /**
     * The method results without any property or reason: {@code spf=pass}, {@code dkim=pass} (one per signature),
     * {@code dmarc=fail policy.dmarc=reject}. For the copies outside the encryption of mail whose correspondents are
     * pseudonymised: the envelope sender, signing domains, selectors and the From domain would name the real
     * correspondent next to its alias (RFC 8601 allows results without properties).
     */
    public static List<String> resultsWithoutIdentities(AuthVerdict verdict) {
        List<String> clauses = new ArrayList<>();
        clauses.add("spf=" + verdict.spf().result().keyword());
        if (verdict.dkim().isEmpty()) {
            clauses.add("dkim=none");
        }
        for (DkimChecker.Result r : verdict.dkim()) {
            clauses.add("dkim=" + r.status().keyword());
        }
        DmarcEvaluator.Verdict dmarc = verdict.dmarc();
        clauses.add("dmarc=" + dmarc.result().keyword()
                + (dmarc.result() == DmarcResult.FAIL ? " policy.dmarc=" + dmarc.policy().keyword() : ""));
        return clauses;
    }

    /** The whole field, folded, ending in CRLF. */
    public static String field(String authservId, AuthVerdict verdict) {
        return field(authservId, resultClauses(verdict));
    }

    /** The whole field with these method results, folded, ending in CRLF. */
    public static String field(String authservId, List<String> clauses) {
        return FIELD + ": " + authservId + ";" + FOLD + String.join(";" + FOLD, clauses) + "\r\n";
    }

    /** {@code ARC-Authentication-Results: i=N; authserv-id; results}, ending in CRLF. */
    public static String arcField(int instance, String authservId, List<String> clauses) {
        return "ARC-Authentication-Results: i=" + instance + "; " + authservId + ";" + FOLD
                + String.join(";" + FOLD, clauses) + "\r\n";
    }

    /** The field's authserv-id (the first token, comments skipped), lower case; "" if there is none. */
    public static String authservId(HeaderField field) {
        String value = stripComments(field.value()).strip();
        if (value.startsWith("\"")) {
            // a quoted string (RFC 8601 2.2: authserv-id is a value): its quoted pairs stand for their characters, so
            // "v\eil.example.com" claims veil.example.com (a black-box probe's field was kept)
            StringBuilder id = new StringBuilder();
            for (int i = 1; i < value.length() && value.charAt(i) != '"'; i++) {
                char c = value.charAt(i);
                id.append(c == '\\' && i + 1 < value.length() ? value.charAt(++i) : c);
            }
            return id.toString().toLowerCase(Locale.ROOT);
        }
        int end = 0;
        while (end < value.length() && value.charAt(end) != ';' && !Character.isWhitespace(value.charAt(end))) {
            end++;
        }
        return value.substring(0, end).toLowerCase(Locale.ROOT);
    }

    /** True for an Authentication-Results field that claims to be from us (so, arriving from outside, forged). */
    public static boolean claimsToBe(HeaderField field, String authservId) {
        if (!field.is(FIELD)) {
            return false;
        }
        // a host name with its root dot is the same name
        String ours = withoutRootDot(authservId.toLowerCase(Locale.ROOT));
        return withoutRootDot(authservId(field)).equals(ours) || ours.equals(loosely(field.value()));
    }

    /**
     * The authserv-id as the most lenient reader could take it: everything before the first {@code ;} with comments
     * gone, encoded words decoded, quotes, backslashes, white space and control characters dropped, compatibility
     * characters folded (a fullwidth dot is a dot), lower case, no root dot. Only for removing forged fields, where
     * reading too much as ours costs nothing: a black-box probe's {@code "veil.example.com\ "},
     * {@code "veil."example.com}, {@code =?us-ascii?q?veil.example.com?=} and {@code veil．example.com} were kept.
     */
    static String loosely(String value) {
        String text = stripComments(value);
        if (text.contains("=?")) {
            try {
                text = jakarta.mail.internet.MimeUtility.decodeText(text);
            } catch (java.io.UnsupportedEncodingException | RuntimeException e) {
                // left as it is
            }
        }
        StringBuilder id = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '\\' && i + 1 < text.length()) {
                id.append(text.charAt(++i));
            } else if (c == ';' && !quoted) {
                break;
            } else {
                id.append(c);
            }
        }
        String folded = java.text.Normalizer.normalize(id, java.text.Normalizer.Form.NFKC)
                .replaceAll("[\\s\\p{Cc}\\p{Cf}\"\\\\]", "").toLowerCase(Locale.ROOT);
        return withoutRootDot(folded);
    }

    private static String withoutRootDot(String id) {
        int end = id.length();
        while (end > 0 && id.charAt(end - 1) == '.') {
            end--;
        }
        return id.substring(0, end);
    }

    private static String stripComments(String s) {
        StringBuilder out = new StringBuilder();
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quoted) {
                out.append(c);
                if (c == '\\' && i + 1 < s.length()) {
                    out.append(s.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                }
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
            } else if (depth == 0) {
                if (c == '"') {
                    quoted = true;
                }
                out.append(c);
            }
        }
        return out.toString();
    }

    /** A pvalue: a token or an addr-spec as it is, anything else as a quoted string. */
    static String value(String v) {
        return TOKEN.matcher(v).matches() || ADDRESS.matcher(v).matches() ? v : quoted(v);
    }

    static String quoted(String v) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            if (c == '\r' || c == '\n' || c < 0x20 && c != '\t') {
                out.append(' ');
            } else {
                if (c == '"' || c == '\\') {
                    out.append('\\');
                }
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
