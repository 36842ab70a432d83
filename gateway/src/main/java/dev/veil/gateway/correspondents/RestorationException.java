package dev.veil.gateway.correspondents;

/** Aliases could not be turned back into real correspondents; the message must not leave half-restored. */
public class RestorationException extends Exception {
    public RestorationException(String message) {
        super(message);
    }

    public RestorationException(String message, Throwable cause) {
        super(message, cause);
    }
}
