package dev.veil.gateway.pipeline;

import dev.veil.gateway.auth.ArcSealer;
import dev.veil.gateway.auth.AuthenticationResults;
import dev.veil.gateway.auth.DnsTemporaryException;
import dev.veil.gateway.relay.TemporaryFailureException;
import dev.veil.crypto.HeaderBlock;
import dev.veil.gateway.core.Spool;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The last step before relay: seals the message exactly as Exchange will receive it (after encryption) with ARC, so
 * that the verdict of the authenticate step survives the rewriting. When encryption has hidden the
 * Authentication-Results field inside the ciphertext, a copy goes on the outside too. The new fields go in front of
 * the message as the relay sends it ({@link Mail#prependHeaderFields}); the content file is not copied, unless a field
 * name has white space before its colon ({@link ArcSealer#tidyFieldNames}).
 */
public final class ArcSealStep implements MailStep {
    private final Supplier<ArcSealer> sealer;
    private final Spool spool;
    private final String authservId;
    private final Clock clock;

    /**
     * @param sealer gives the sealer, or throws when the ARC key is unavailable
     * @param spool  where a message whose field names must be tidied before sealing is written
     */
    public ArcSealStep(Supplier<ArcSealer> sealer, Spool spool, String authservId, Clock clock) {
        this.sealer = sealer;
        this.spool = spool;
        this.authservId = authservId;
        this.clock = clock;
    }

    @Override
    public String name() {
        return "arc-seal";
    }

    @Override
    public boolean applies(Mail mail) {
        return true;
    }

    @Override
    public void service(Mail mail) throws Exception {
        ArcSealer arc;
        try {
            arc = sealer.get();
        } catch (RuntimeException e) {
            throw new FailClosedException("ARC sealing is configured but unavailable: " + e.getMessage(), e);
        }
        // both copies are outside any encryption: with pseudonymised correspondents they say only what passed
        // (the full results stay inside the encryption, where the encrypt step put them)
        List<String> results = mail.authentication()
                .map(mail.correspondentsHidden() ? AuthenticationResults::resultsWithoutIdentities
                        : AuthenticationResults::resultClauses)
                .orElse(List.of());
        // the copy outside, unless the header already carries our results (unencrypted mail)
        Function<HeaderBlock, List<String>> outside = header -> mail.authentication().isPresent()
                && header.all(AuthenticationResults.FIELD).stream()
                        .noneMatch(f -> AuthenticationResults.claimsToBe(f, authservId))
                ? List.of(AuthenticationResults.field(authservId, results)) : List.of();
        // the set goes in front of the content as the relay sends it: no copy of the message is written
        ArcSealer.Sealed sealed;
        try {
            sealed = arc.sealFields(mail.content(), results, outside, mail.arrivedArcChain().orElse(null),
                    clock.instant());
            if (sealed.spaceBeforeColon()) {
                // a field name with white space before its colon: sealed as RFC 5322 writes it (see tidyFieldNames)
                Path tidy = spool.workFile(mail.id(), "arc-tidy.eml");
                ArcSealer.tidyFieldNames(mail.content(), tidy);
                mail.replaceContent(tidy, mail.protection(), List.of());
                sealed = arc.sealFields(tidy, results, outside, mail.arrivedArcChain().orElse(null), clock.instant());
            }
        } catch (DnsTemporaryException e) {
            throw new TemporaryFailureException("ARC: validating the chain that arrived: " + e.getMessage(), e);
        }
        mail.prependHeaderFields(sealed.fields());
    }
}
