package dev.veil.config;

/**
 * A key the policy names under {@code keys.named} so rules can encrypt to it (an archive, a legal-hold mailbox).
 *
 * @param file path of the certificate (S/MIME) or public key (OpenPGP) as the policy writes it; a relative path is
 *             under the data directory ({@code keys/archive.pem} is {@code veil-data/keys/archive.pem})
 */
public record NamedKey(String name, Action.Format format, String file) {
}
