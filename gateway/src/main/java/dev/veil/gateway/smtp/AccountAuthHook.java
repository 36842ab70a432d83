package dev.veil.gateway.smtp;

import dev.veil.crypto.PasswordHash;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.james.core.Username;
import org.apache.james.protocols.api.OidcSASLConfiguration;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.AuthHook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks AUTH PLAIN/LOGIN against the configured accounts (Argon2id hashes). An unknown user costs the same hash
 * computation as a known one, so timing does not tell which names exist; the third failure in a session ends it with a
 * {@code 421}, and every failure counts towards the client's limit across sessions ({@link AuthFailures}).
 */
final class AccountAuthHook implements AuthHook {
    private static final Logger LOG = LoggerFactory.getLogger(AccountAuthHook.class);
    static final int MAX_FAILURES = 3;
    private static final ProtocolSession.AttachmentKey<Integer> FAILURES =
            ProtocolSession.AttachmentKey.of("veil.auth.failures", Integer.class);
    /** Compared against when the user is unknown, so that the answer takes as long as for a known one. */
    private static final PasswordHash DECOY = PasswordHash.parse(PasswordHash.hash("decoy".toCharArray()));

    /** An account as the listener uses it: its name, its parsed hash and the senders it may use. */
    record Account(String username, PasswordHash hash, AccountSenders senders) {
        /**
         * The name as a session holds it after AUTH: James's {@link Username} folds case, so a configured
         * {@code Alice} is compared as {@code alice} (it could never log in when compared as written).
         */
        String sessionName() {
            return sessionName(username);
        }

        static String sessionName(String username) {
            try {
                return Username.of(username).asString();
            } catch (IllegalArgumentException e) {
                return username;
            }
        }
    }

    private final Map<String, PasswordHash> accounts = new LinkedHashMap<>();

    private final AuthFailures clientFailures;

    AccountAuthHook(List<Account> accounts, AuthFailures clientFailures) {
        this.clientFailures = clientFailures;
        accounts.forEach(a -> this.accounts.put(a.sessionName(), a.hash()));
    }

    @Override
    public HookResult doAuth(SMTPSession session, Username username, String password) {
        String name = username.asString();
        PasswordHash hash = accounts.get(name);
        boolean ok = (hash == null ? DECOY : hash).matches(password.toCharArray()) && hash != null;
        if (ok) {
            session.setUsername(username);
            LOG.info("AUTH: {} authenticated from {}", name, session.getRemoteAddress().getAddress().getHostAddress());
            return HookResult.builder().hookReturnCode(HookReturnCode.ok()).smtpReturnCode("235")
                    .smtpDescription("2.7.0 Authentication successful").build();
        }
        clientFailures.failed(TlsOnlyAuthCmdHandler.client(session));
        int failures = failedInSession(session);
        LOG.warn("AUTH: failed login {} of {} from {}", failures, MAX_FAILURES,
                session.getRemoteAddress().getAddress().getHostAddress());
        if (failures >= MAX_FAILURES) {
            // a server closes a session only after a 421 (RFC 5321 3.8), as Postfix does after too many errors
            return HookResult.builder().hookReturnCode(HookReturnCode.disconnected(HookReturnCode.Action.DENY))
                    .smtpReturnCode("421").smtpDescription("4.7.0 Authentication credentials invalid; too many failed"
                            + " logins, closing connection").build();
        }
        return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("535")
                .smtpDescription("5.7.8 Authentication credentials invalid").build();
    }

    /** Counts a failed login in the session; the count so far (at {@link #MAX_FAILURES} the session ends). */
    static int failedInSession(SMTPSession session) {
        int failures = session.getAttachment(FAILURES, ProtocolSession.State.Connection).orElse(0) + 1;
        session.setAttachment(FAILURES, failures, ProtocolSession.State.Connection);
        return failures;
    }

    @Override
    public HookResult doSasl(SMTPSession session, OidcSASLConfiguration configuration, String initialResponse) {
        return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("504")
                .smtpDescription("5.5.4 Unrecognized authentication type").build();
    }

    /** "Log in as someone else" (an authorisation identity of its own): never. */
    @Override
    public HookResult doDelegation(SMTPSession session, Username target) {
        return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("535")
                .smtpDescription("5.7.8 Authentication credentials invalid").build();
    }
}
