package dev.veil.gateway.correspondents;

/**
 * Two different real addresses came out with the same alias (a keyed-hash collision, or a directory row that does
 * not match). Fail closed: the message waits, and two people never share an alias.
 */
public final class AliasCollisionException extends Exception {
    public AliasCollisionException(String message) {
        super(message);
    }
}
