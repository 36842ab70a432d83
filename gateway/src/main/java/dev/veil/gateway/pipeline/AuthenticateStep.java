package dev.veil.gateway.pipeline;

import dev.veil.config.AuthenticationPolicy;
import dev.veil.gateway.auth.ArcSealer;
import dev.veil.gateway.auth.AuthVerdict;
import dev.veil.gateway.auth.AuthenticationResults;
import dev.veil.gateway.auth.DmarcRecord;
import dev.veil.gateway.auth.DnsTemporaryException;
import dev.veil.gateway.auth.DmarcResult;
import dev.veil.gateway.auth.HeaderRewrite;
import dev.veil.gateway.auth.SenderAuthenticator;
import dev.veil.gateway.core.Spool;
import dev.veil.gateway.relay.TemporaryFailureException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sender authentication, before anything rewrites the message: SPF, DKIM and DMARC of the message as it arrived,
 * recorded in an {@code Authentication-Results} field with Veil's authserv-id at the top of the header. Any such field
 * that came from outside claiming to be ours is removed. Mail that fails DMARC under a quarantine/reject policy is
 * handled as the key policy's {@code authentication.dmarc-failure} says; a DNS failure that could change the verdict
 * defers the message.
 */
public final class AuthenticateStep implements MailStep {
    public static final String DMARC_TAG = "[DMARC FAIL]";
    /** How the reason of a DMARC hold starts (in the queue, the hold note and the release note). */
    static final String DMARC_HOLD = "DMARC failed for ";
    private static final Logger LOG = LoggerFactory.getLogger(AuthenticateStep.class);
    private final Spool spool;
    private final SenderAuthenticator authenticator;
    private final String authservId;
    private final ArcChains arcChains;

    /** Judges the ARC chain a message carries ({@link ArcSealer#chainOf}). */
    public interface ArcChains {
        ArcSealer.Chain of(Path message) throws java.io.IOException, DnsTemporaryException;
    }

    public AuthenticateStep(Spool spool, SenderAuthenticator authenticator, String authservId) {
        this(spool, authenticator, authservId, null);
    }

    /**
     * @param arcChains where the pipeline seals with ARC: the chain that arrived is judged here, before this step
     *                  changes the message (null: no ARC seal follows)
     */
    public AuthenticateStep(Spool spool, SenderAuthenticator authenticator, String authservId, ArcChains arcChains) {
        this.spool = spool;
        this.authenticator = authenticator;
        this.authservId = authservId;
        this.arcChains = arcChains;
    }

    @Override
    public String name() {
        return "authenticate";
    }

    @Override
    public boolean applies(Mail mail) {
        return mail.protection() == Mail.Protection.NONE && mail.authentication().isEmpty();
    }

    @Override
    public void service(Mail mail) throws Exception {
        AuthVerdict verdict = authenticator.authenticate(mail.content(), mail.clientAddress(), mail.sender(), mail.helo());
        if (verdict.temporaryError()) {
            throw new TemporaryFailureException("sender authentication: temperror: " + verdict.temporaryErrorReason());
        }
        mail.authenticated(verdict);
        boolean tag = false;
        if (verdict.dmarc().result() == DmarcResult.FAIL && verdict.dmarc().policy() != DmarcRecord.Disposition.NONE) {
            AuthenticationPolicy.DmarcFailure handling = mail.policy().authentication().dmarcFailure();
            String why = DMARC_HOLD + verdict.dmarc().fromDomain() + " (its policy: "
                    + verdict.dmarc().policy().keyword() + "; " + verdict.dmarc().reason() + ")";
            switch (handling) {
                case QUARANTINE -> {
                    // an admin who released it from this very hold has decided: it goes on, tagged, rather than being
                    // held again until the policy changes for all mail (a black-box probe)
                    if (spool.releasedFrom(mail.id()).stream().noneMatch(r -> r.contains(DMARC_HOLD))) {
                        throw new QuarantineException(why);
                    }
                    tag = true;
                    LOG.info("{}: {}: released by an admin, so not held again; subject tagged", mail.id(), why);
                }
                case TAG -> {
                    tag = true;
                    LOG.info("{}: {}: subject tagged", mail.id(), why);
                }
                default -> LOG.info("{}: {}: passed as policy says", mail.id(), why);
            }
        }
        if (arcChains != null) {
            // the seal judges the chain as it arrived: the tag below changes Subject, which a forwarder may have
            // signed (a probe saw a seal say cv=fail of a chain that had arrived intact)
            try {
                mail.arrivedArcChain(arcChains.of(mail.content()));
            } catch (DnsTemporaryException e) {
                throw new TemporaryFailureException("ARC: validating the chain that arrived: " + e.getMessage(), e);
            } catch (IllegalStateException keyUnavailable) {
                // no ARC key: the arc-seal step fails closed and says why
            }
        }
        Path out = spool.workFile(mail.id(), "authenticated.eml");
        boolean tagSubject = tag;
        AtomicBoolean subjectSeen = new AtomicBoolean();
        List<String> prepend = new ArrayList<>();
        prepend.add(AuthenticationResults.field(authservId, verdict));
        try {
            HeaderRewrite.write(mail.content(), out, prepend, field -> {
                if (AuthenticationResults.claimsToBe(field, authservId)) {
                    return null; // forged: only Veil writes results under its own name
                }
                if (tagSubject && field.is("Subject")) {
                    // every one: which of two a mail program shows is its own choice (a probe found the second untagged)
                    subjectSeen.set(true);
                    return HeaderRewrite.prefixValue(field, DMARC_TAG);
                }
                return field.raw();
            });
            if (tagSubject && !subjectSeen.get()) {
                Path tagged = spool.workFile(mail.id(), "authenticated.eml");
                HeaderRewrite.write(out, tagged, List.of("Subject: " + DMARC_TAG + "\r\n"), f -> f.raw());
                Files.delete(out);
                out = tagged;
            }
        } catch (Exception e) {
            Files.deleteIfExists(out);
            throw e;
        }
        mail.replaceContent(out, mail.protection(), List.of());
        if (tagSubject) {
            mail.markDmarcTagged();
        }
        mail.note(String.join("; ", AuthenticationResults.resultClauses(verdict)).replaceAll("\\s+", " "));
    }
}
