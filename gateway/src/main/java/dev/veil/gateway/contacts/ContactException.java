package dev.veil.gateway.contacts;

/** A contact could not be parsed, sealed, revealed or synced; the message says which contact and why. */
public class ContactException extends Exception {
    public ContactException(String message) {
        super(message);
    }

    public ContactException(String message, Throwable cause) {
        super(message, cause);
    }
}
