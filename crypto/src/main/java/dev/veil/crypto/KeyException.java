package dev.veil.crypto;

/** A key could not be found, read, unwrapped or created. Callers fail closed on it. */
public class KeyException extends Exception {
    public KeyException(String message) {
        super(message);
    }

    public KeyException(String message, Throwable cause) {
        super(message, cause);
    }
}
