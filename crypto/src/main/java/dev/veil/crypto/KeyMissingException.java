package dev.veil.crypto;

/** No key exists for a target the policy names (a recipient without certificate, an unknown named key). */
public class KeyMissingException extends KeyException {
    public KeyMissingException(String message) {
        super(message);
    }
}
