package dev.veil.config;

import java.util.Optional;

/**
 * Whether the file a named key points to holds a key that can be encrypted to. The loader reports what it says at the
 * key's {@code certificate:} / {@code public-key:} entry, with the file's other problems, so a policy that could only
 * defer the mail of its rules is refused when loaded rather than discovered message by message. The config module
 * cannot read keys itself: the crypto module implements this ({@code NamedKeyFiles}).
 */
@FunctionalInterface
public interface NamedKeyCheck {
    /** Checks nothing: for tools that have no data directory to read keys from. */
    NamedKeyCheck NONE = key -> Optional.empty();

    /** Why the key cannot be encrypted to (missing, unreadable, expired, not for encryption, other format), or empty. */
    Optional<String> problem(NamedKey key);
}
