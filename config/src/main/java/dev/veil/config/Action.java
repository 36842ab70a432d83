package dev.veil.config;

import java.util.List;

/** What a rule does. */
public sealed interface Action permits Action.Encrypt, Action.Pass, Action.Reject, Action.Pseudonymise {

    /**
     * Encrypt the whole message.
     *
     * @param to             key targets: {@code recipient}, {@code escrow} or names of keys in the policy
     * @param subject        the placeholder that replaces the Subject outside the encrypted part
     * @param protectHeaders lower-case names of headers replaced or removed outside the encrypted part (every header
     *                       stays inside it); {@code subject} is replaced by {@code subject}, the others are removed
     * @param alreadyEncrypted what to do with mail that is already S/MIME- or PGP/MIME-encrypted: pass it on unchanged
     *                       (default), or encrypt it again so that its outer header (Subject, Received) is hidden too
     */
    record Encrypt(Format format, List<String> to, ContentCipher cipher, String subject, List<String> protectHeaders,
                   AlreadyEncrypted alreadyEncrypted) implements Action {
        public Encrypt {
            to = List.copyOf(to);
            protectHeaders = List.copyOf(protectHeaders);
        }

        public Encrypt(Format format, List<String> to, ContentCipher cipher, String subject, List<String> protectHeaders) {
            this(format, to, cipher, subject, protectHeaders, AlreadyEncrypted.PASS);
        }

        /** The original shape: only the Subject is protected. */
        public Encrypt(Format format, List<String> to, ContentCipher cipher, String subject) {
            this(format, to, cipher, subject, List.of("subject"));
        }
    }

    enum AlreadyEncrypted { PASS, ENCRYPT }

    /** Relay unchanged; the reason is logged with every message this lets through. */
    record Pass(String reason) implements Action {
    }

    /** Refuse the message with this text. */
    record Reject(String message) implements Action {
    }

    /**
     * Replace correspondents (the external party's address and display name) with pseudonyms before the message reaches
     * Exchange; outbound, aliases are turned back into real addresses. Never a rule's main action: it rides along with
     * {@code encrypt} or {@code pass} and is found in {@link Rule#pseudonymise()}.
     *
     * @param correspondents whether correspondents are pseudonymised at all (false turns an inherited setting off)
     * @param aliasDomain    domain of alias addresses, e.g. {@code alias.example.com}; A-label form; null when off
     * @param displayName    display name template; {@code {token}} is replaced by the correspondent's token
     */
    record Pseudonymise(boolean correspondents, String aliasDomain, String displayName) implements Action {
    }

    enum Format { SMIME, OPENPGP }
}
