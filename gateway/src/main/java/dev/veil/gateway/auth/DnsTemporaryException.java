package dev.veil.gateway.auth;

/** A DNS question got no answer in time (timeout, SERVFAIL): the result is "temperror", to be tried again later. */
public final class DnsTemporaryException extends Exception {
    public DnsTemporaryException(String message) {
        super(message);
    }
}
