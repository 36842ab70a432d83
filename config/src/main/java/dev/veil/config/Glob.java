package dev.veil.config;

/**
 * Wildcard matching for address patterns: {@code *} is any run of characters (also none), {@code ?} exactly one.
 * Inputs are already normalised (lower case, A-labels), so comparison is by plain characters.
 */
final class Glob {
    private Glob() {
    }

    static boolean isGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0;
    }

    /** True when {@code text} (no wildcards of its own) matches {@code glob}. */
    static boolean matches(String glob, String text) {
        return match(glob, text, false);
    }

    /**
     * True when every text that {@code narrow} matches is also matched by {@code wide}. Sound but not complete: it may
     * answer false for an exotic pair that does cover, never true for one that does not — so shadowing errors are never
     * false alarms.
     */
    static boolean covers(String wide, String narrow) {
        return match(wide, narrow, true);
    }

    // Classic two-pointer wildcard match with backtracking to the last '*'. In "covers" mode the text is itself a glob:
    // a '*' in the wide glob may absorb anything, a '?' absorbs one character but never a '*' (which may stand for many).
    private static boolean match(String glob, String text, boolean textIsGlob) {
        int g = 0;
        int t = 0;
        int star = -1;
        int starText = 0;
        while (t < text.length()) {
            if (g < glob.length() && glob.charAt(g) != '*' && same(glob.charAt(g), text.charAt(t), textIsGlob)) {
                g++;
                t++;
            } else if (g < glob.length() && glob.charAt(g) == '*') {
                star = g++;
                starText = t;
            } else if (star >= 0) {
                g = star + 1;
                t = ++starText;
            } else {
                return false;
            }
        }
        while (g < glob.length() && glob.charAt(g) == '*') {
            g++;
        }
        return g == glob.length();
    }

    private static boolean same(char globChar, char textChar, boolean textIsGlob) {
        if (globChar == '?') {
            return !textIsGlob || textChar != '*';
        }
        return globChar == textChar;
    }
}
