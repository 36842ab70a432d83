package dev.veil.gateway.correspondents;

import java.time.Instant;

/**
 * One row of the alias directory: the alias {@code aliasLocal@aliasDomain} stands for the real address sealed in
 * {@code realToken} (a pseudonymiser token of kind {@link AliasDirectory#TOKEN_KIND}; the plain address is never
 * stored), made with pseudonym key {@code keyVersion}, first seen at {@code firstSeen}.
 */
public record AliasEntry(String aliasLocal, String aliasDomain, String realToken, int keyVersion, Instant firstSeen) {
}
