package dev.veil.config;

/** An error or warning found in a policy file, located to the line and column. */
public record Problem(Severity severity, String file, int line, int column, String message) {

    public enum Severity { ERROR, WARNING }

    /** {@code FILE:LINE:COLUMN: error: message} — the compiler-style form people and editors understand. */
    public String format() {
        return file + ":" + line + ":" + column + ": " + severity.name().toLowerCase() + ": " + message;
    }
}
