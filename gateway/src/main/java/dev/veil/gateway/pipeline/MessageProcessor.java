package dev.veil.gateway.pipeline;

import com.codahale.metrics.MetricRegistry;
import dev.veil.config.Action;
import dev.veil.config.Decision;
import dev.veil.config.Match;
import dev.veil.config.Rule;
import dev.veil.config.Direction;
import dev.veil.config.OnError;
import dev.veil.config.Policy;
import dev.veil.gateway.QueueSettings;
import dev.veil.gateway.core.AuditRecord;
import dev.veil.gateway.core.Envelope;
import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.Spool;
import dev.veil.gateway.core.SpoolEntry;
import dev.veil.gateway.core.SpoolState;
import dev.veil.gateway.correspondents.BounceRecipients;
import dev.veil.gateway.correspondents.Reidentifier;
import dev.veil.gateway.db.SpoolDao;
import dev.veil.gateway.relay.DeliveryStatusNotification;
import dev.veil.gateway.relay.PartialDeliveryException;
import dev.veil.gateway.relay.PermanentFailureException;
import dev.veil.gateway.relay.TemporaryFailureException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one claimed queue entry through the pipeline: recipients are grouped by the policy rule that matches
 * them, each group runs through the configured steps, and the outcomes decide the entry's next state. This is
 * also the error processor: a step's exception never lets the mail go on, it is deferred, bounced or
 * quarantined — fail closed is implemented here, once.
 */
public final class MessageProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(MessageProcessor.class);

    /**
     * Outbound mail that no rule matches leaves as submitted: it is the business's own mail, which Exchange has
     * already seen in clear, so relaying it adds nothing for Microsoft to read. Rules with {@code direction:
     * outbound} encrypt or reject it instead. (Inbound mail that no rule matches goes to on-error: that is where
     * protection is owed.)
     */
    static final Decision OUTBOUND_DEFAULT;

    static {
        Rule rule = new Rule("(no outbound rule)", 0, new Match(List.of(), List.of(), Direction.OUTBOUND),
                new Action.Pass("no policy rule matches this outbound recipient; relayed as submitted"));
        OUTBOUND_DEFAULT = new Decision(rule, rule.action());
    }
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private final Spool spool;
    private final SpoolDao spoolDao;
    private final Supplier<Policy> policies;
    private final Map<Direction, List<MailStep>> steps;
    private final QueueSettings settings;
    private final String hostname;
    private final MetricRegistry metrics;
    private final Clock clock;
    /** Resolves aliases for bounce notices of outbound mail (see BounceRecipients); null: none are in use. */
    private final Reidentifier aliases;

    public MessageProcessor(Spool spool, SpoolDao spoolDao, Supplier<Policy> policies,
                            List<MailStep> steps, QueueSettings settings, String hostname, MetricRegistry metrics,
                            Clock clock) {
        this(spool, spoolDao, policies, Map.of(Direction.INBOUND, steps), settings, hostname, metrics, clock);
    }

    /**
     * @param steps the pipeline for each direction ({@code queue.pipeline} inbound, {@code outbound.pipeline}
     *              outbound); an entry of a direction without one is never relayed (it stays deferred)
     */
    public MessageProcessor(Spool spool, SpoolDao spoolDao, Supplier<Policy> policies,
                            Map<Direction, List<MailStep>> steps, QueueSettings settings, String hostname,
                            MetricRegistry metrics, Clock clock) {
        this(spool, spoolDao, policies, steps, settings, hostname, metrics, clock, null);
    }

    /** @param aliases names the failed recipients of outbound mail in bounce notices as they were addressed */
    public MessageProcessor(Spool spool, SpoolDao spoolDao, Supplier<Policy> policies,
                            Map<Direction, List<MailStep>> steps, QueueSettings settings, String hostname,
                            MetricRegistry metrics, Clock clock, Reidentifier aliases) {
        this.aliases = aliases;
        this.spool = spool;
        this.spoolDao = spoolDao;
        this.policies = policies;
        Map<Direction, List<MailStep>> copy = new java.util.EnumMap<>(Direction.class);
        steps.forEach((direction, list) -> copy.put(direction, List.copyOf(list)));
        this.steps = copy;
        this.settings = settings;
        this.hostname = hostname;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Outcomes of one pass, by recipient. */
    private static final class Outcomes {
        final List<String> delivered = new ArrayList<>();
        final Map<String, String> temporary = new LinkedHashMap<>();
        final Map<String, String> permanent = new LinkedHashMap<>();
        final Map<String, String> quarantined = new LinkedHashMap<>();
        /**
         * Recipients whose reason is Veil's own account of what went wrong (a step that failed closed, a connection or
         * DNS error), not an answer meant for the sender (the upstream server's reply, a policy's reject message).
         */
        final Set<String> ownAccount = new HashSet<>();
        final List<AuditRecord> audit = new ArrayList<>();
    }

    public void process(QueueId id) throws Exception {
        Optional<SpoolEntry> found = spoolDao.find(id);
        if (found.isEmpty()) {
            LOG.error("{}: claimed but has no row", id);
            return;
        }
        SpoolEntry entry = found.get();
        Path file = spool.messageFile(id);
        if (!Files.exists(file)) {
            // Veil removes a message's file only after its final state (relayed, bounced, deleted) is committed; a
            // row still waiting without its file means the database lost that commit (seen once with H2 after a
            // kill -9), or someone removed the file. Nothing can be sent; the admin is told which, not left guessing.
            String why = "spool file missing: Veil removes it only after the message was settled (relayed, bounced or"
                    + " deleted), so most likely the database lost that record in a crash; check the upstream and the"
                    + " log before assuming the message was lost";
            LOG.error("{}: spool file {} is missing; quarantined for an admin to look at: {}", id, file, why);
            AuditRecord record = new AuditRecord(id.value(), clock.instant(), "recovery",
                    entry.envelope().recipients(), null, null, List.of(), "quarantined", why);
            spoolDao.finish(id, SpoolState.QUARANTINED, why, clock.instant(), List.of(record));
            metrics.meter("quarantined").mark();
            return;
        }
        Policy policy = policies.get();
        Outcomes outcomes = new Outcomes();
        List<MailStep> pipeline = steps.get(entry.direction());
        if (policy == null) {
            entry.envelope().recipients().forEach(r -> outcomes.temporary.put(r, "no valid policy is loaded"));
        } else if (pipeline == null) {
            entry.envelope().recipients().forEach(r -> outcomes.temporary.put(r,
                    "no pipeline is configured for " + entry.direction().name().toLowerCase() + " mail"));
        } else {
            for (Map.Entry<Decision, List<String>> group : groupByDecision(policy, entry, outcomes).entrySet()) {
                runGroup(new Mail(id, entry.direction(), entry.envelope(), group.getValue(), policy,
                        group.getKey(), file), pipeline, outcomes);
            }
        }
        settle(entry, file, outcomes, policy);
    }

    private Map<Decision, List<String>> groupByDecision(Policy policy, SpoolEntry entry, Outcomes outcomes) {
        Map<Decision, List<String>> groups = new LinkedHashMap<>();
        for (String recipient : entry.envelope().recipients()) {
            Optional<Decision> decision = policy.decide(entry.direction(), entry.envelope().sender(), recipient);
            if (decision.isEmpty() && entry.direction() == Direction.OUTBOUND) {
                decision = Optional.of(OUTBOUND_DEFAULT);
            }
            if (decision.isEmpty()) {
                String outcome = onError(policy.onError(), List.of(recipient), "no policy rule matches this recipient",
                        outcomes);
                outcomes.audit.add(audit(entry.id(), List.of(recipient), null, policy.contentHash(), List.of(),
                        outcome, "no policy rule matches this recipient"));
            } else {
                groups.computeIfAbsent(decision.get(), d -> new ArrayList<>()).add(recipient);
            }
        }
        return groups;
    }

    /** This thread's CPU time so far, or -1 where the JVM cannot tell. */
    private static long threadCpuNanos() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
    }

    /**
     * Adds what a step cost this thread in CPU to {@code step.NAME.cpu-us} and counts the run in
     * {@code step.NAME.runs} (admin /metrics): CPU rather than wall time, so that a step waiting for a disk or the
     * upstream does not look costly, and sums rather than a sample, so that the cost of N messages is one
     * subtraction (the load harness prints it per step).
     *
     * @return the thread's CPU time now: where the next step's starts
     */
    private long countStepCpu(MailStep step, long cpuBefore) {
        if (cpuBefore < 0) {
            return cpuBefore;
        }
        long now = THREADS.getCurrentThreadCpuTime();
        metrics.counter("step." + step.name() + ".cpu-us").inc((now - cpuBefore) / 1000);
        metrics.counter("step." + step.name() + ".runs").inc();
        return now;
    }

    private void runGroup(Mail mail, List<MailStep> pipeline, Outcomes outcomes) {
        String outcome;
        String detail;
        PartialDeliveryException partial = null;
        try {
            // one reading of the thread's CPU clock between steps, not two per step (each is a system call)
            long cpu = threadCpuNanos();
            for (MailStep step : pipeline) {
                if (step.applies(mail)) {
                    try {
                        step.service(mail);
                    } finally {
                        cpu = countStepCpu(step, cpu);
                    }
                }
            }
            outcomes.delivered.addAll(mail.recipients());
            outcome = "relayed";
            detail = mail.note();
        } catch (TemporaryFailureException e) {
            mail.recipients().forEach(r -> outcomes.temporary.put(r, e.getMessage()));
            if (!e.isServerReply()) {
                outcomes.ownAccount.addAll(mail.recipients());
            }
            outcome = "deferred";
            detail = e.getMessage();
        } catch (PermanentFailureException e) {
            mail.recipients().forEach(r -> outcomes.permanent.put(r, e.getMessage()));
            outcome = "bounced";
            detail = e.getMessage();
        } catch (QuarantineException e) {
            // a step's own verdict (not an error): the message is held for an admin whatever on-error says
            mail.recipients().forEach(r -> outcomes.quarantined.put(r, e.getMessage()));
            outcome = "quarantined";
            detail = e.getMessage();
        } catch (PartialDeliveryException e) {
            outcomes.delivered.addAll(e.delivered());
            e.temporaryFailures().forEach(r -> outcomes.temporary.put(r, e.replyFor(r)));
            e.permanentFailures().forEach(r -> outcomes.permanent.put(r, e.replyFor(r)));
            // one audit row per outcome, each with its recipients: "partial" for the whole group said neither who was
            // delivered nor whether anyone was
            partial = e;
            outcome = null;
            detail = e.getMessage();
        } catch (Exception e) {
            // fail closed: whatever went wrong, the mail does not go on; policy on-error says what happens instead
            outcome = onError(mail.policy().onError(), mail.recipients(), describe(e), outcomes);
            outcomes.ownAccount.addAll(mail.recipients());
            detail = describe(e);
            LOG.warn("{}: {} ({}): {}", mail.id(), outcome, mail.policy().onError(), detail);
        } finally {
            for (Path scratch : mail.scratchFiles()) {
                try {
                    Files.deleteIfExists(scratch);
                } catch (Exception ignored) {
                    // swept at the next start
                }
            }
        }
        if (partial == null) {
            outcomes.audit.add(audit(mail, mail.recipients(), outcome, detail));
            return;
        }
        if (!partial.delivered().isEmpty()) {
            outcomes.audit.add(audit(mail, partial.delivered(), "relayed", mail.note()));
        }
        if (!partial.temporaryFailures().isEmpty()) {
            outcomes.audit.add(audit(mail, partial.temporaryFailures(), "deferred",
                    replies(partial, partial.temporaryFailures())));
        }
        if (!partial.permanentFailures().isEmpty()) {
            outcomes.audit.add(audit(mail, partial.permanentFailures(), "bounced",
                    replies(partial, partial.permanentFailures())));
        }
    }

    /**
     * What the upstream answered these recipients, each answer once: the exception's own message is one recipient's
     * answer, and a row for others named it (a probe saw a deferred row say "550 5.1.1 no such user" of another).
     */
    private static String replies(PartialDeliveryException partial, List<String> recipients) {
        return String.join("; ", recipients.stream().map(partial::replyFor).distinct().toList());
    }

    private AuditRecord audit(Mail mail, List<String> recipients, String outcome, String detail) {
        return audit(mail.id(), recipients, mail.decision().rule().name(), mail.policy().contentHash(),
                mail.keyFingerprints(), outcome, detail);
    }

    private static String onError(OnError onError, List<String> recipients, String why, Outcomes outcomes) {
        switch (onError) {
            case QUARANTINE -> recipients.forEach(r -> outcomes.quarantined.put(r, why));
            case REJECT -> recipients.forEach(r -> outcomes.permanent.put(r, "550 5.7.1 " + why));
            default -> recipients.forEach(r -> outcomes.temporary.put(r, why));
        }
        return switch (onError) {
            case QUARANTINE -> "quarantined";
            case REJECT -> "bounced";
            default -> "deferred";
        };
    }

    private static String describe(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return e instanceof FailClosedException ? message : e.getClass().getSimpleName() + ": " + message;
    }

    /** Moves the entry to its next state from what happened to each recipient. */
    private void settle(SpoolEntry entry, Path file, Outcomes o, Policy policy) throws Exception {
        QueueId id = entry.id();
        Instant now = clock.instant();
        Map<String, String> permanent = new LinkedHashMap<>(o.permanent);
        Map<String, String> temporary = new LinkedHashMap<>(o.temporary);
        boolean givingUp = Duration.between(entry.receivedAt(), now)
                .compareTo(settings.getGiveUpAfter().toJavaDuration()) >= 0;
        Set<String> gaveUp = new HashSet<>();
        if (givingUp && !temporary.isEmpty()) {
            gaveUp.addAll(temporary.keySet());
            String gaveUpAfter = "4.4.7 gave up after " + settings.getGiveUpAfter() + ": ";
            String gaveUpBecause = gaveUpAfter + first(temporary);
            temporary.forEach((r, why) -> permanent.put(r, gaveUpAfter + why));
            temporary.clear();
            // this attempt's rows say "deferred"; the entry ends bounced, and the audit says so (a probe found no row)
            o.audit.add(audit(id, List.copyOf(gaveUp), null, policy == null ? null : policy.contentHash(), List.of(),
                    "bounced", gaveUpBecause));
        }
        metrics.meter("relayed").mark(o.delivered.isEmpty() ? 0 : 1);
        if (!permanent.isEmpty() && !entry.envelope().sender().isEmpty()) {
            Map<String, String> named = permanent;
            if (entry.direction() == Direction.OUTBOUND && aliases != null && Files.exists(file)) {
                try {
                    // every recipient it was accepted for: one delivered at an earlier attempt counts as well
                    List<String> recipients = spool.acceptedRecipients(id).orElse(entry.envelope().recipients());
                    named = BounceRecipients.asAddressed(file, recipients, permanent, aliases);
                } catch (RuntimeException e) {
                    // the directory is unavailable: the notice waits (with the entry) rather than name real addresses
                    throw new java.io.IOException("bounce notice: cannot resolve the aliases it must name: "
                            + e.getMessage(), e);
                }
            }
            boolean quoteHeader = mayQuoteHeader(entry, policy);
            if (!quoteHeader) {
                named = withoutDetail(id, named, gaveUp, r -> true, UNENCRYPTED_NOTICE);
            } else if (toOutsideSender(entry, policy)) {
                named = withoutDetail(id, named, gaveUp, o.ownAccount::contains, OUTSIDE_SENDER);
            }
            Path notice = DeliveryStatusNotification.write(spool, id, file, entry.envelope().sender(), named,
                    hostname, entry.receivedAt(), quoteHeader);
            if (settings.isSendBounces()) {
                returnToSender(id, notice, entry.envelope().sender(), policy);
            }
        }
        if (!permanent.isEmpty()) {
            metrics.meter("bounced").mark();
        }
        if (!o.quarantined.isEmpty()) {
            // the whole message stays in the queue directory for an admin; nothing still pending is sent
            List<String> held = new ArrayList<>(o.quarantined.keySet());
            held.addAll(temporary.keySet());
            spool.hold(id, held, first(o.quarantined)); // on disk first: the queue directory outlives the row
            spoolDao.quarantine(id, held, first(o.quarantined), now, o.audit);
            metrics.meter("quarantined").mark();
            LOG.warn("{}: quarantined: {}", id, first(o.quarantined));
        } else if (!temporary.isEmpty()) {
            Duration delay = backoff(entry.attempts());
            spoolDao.defer(id, new ArrayList<>(temporary.keySet()), first(temporary), now.plus(delay), now, o.audit);
            metrics.meter("deferred").mark();
            LOG.info("{}: deferred for {}s (attempt {}): {}", id, delay.toSeconds(), entry.attempts() + 1,
                    first(temporary));
        } else {
            SpoolState state = permanent.isEmpty() ? SpoolState.RELAYED : SpoolState.BOUNCED;
            spoolDao.finish(id, state, permanent.isEmpty() ? null : first(permanent), now, o.audit);
            spool.settled(id, state);
            if (permanent.isEmpty()) {
                LOG.info("{}: relayed", id);
            } else {
                LOG.info("{}: bounced: {}", id, first(permanent));
            }
        }
    }

    /**
     * The reasons of a notice that does not quote the original's header (see {@link #mayQuoteHeader}) with their
     * detail left out: it names the correspondents as well ("DNS lookup of TXT _dmarc.partner.example failed", "no
     * key for ... from bob@partner.example"), and the notice reaches Exchange in clear. Each keeps its reply and status
     * codes and says what kind of failure it was; the reasons in full go to the log (and the first to the queue).
     */
    private Map<String, String> withoutDetail(QueueId id, Map<String, String> reasons, Set<String> gaveUp,
                                              java.util.function.Predicate<String> withheldFor, String why) {
        String withheld = " (the detail is left out of this " + why + "; it is in Veil's log and queue under queue id "
                + id + ")";
        Map<String, String> out = new LinkedHashMap<>();
        reasons.forEach((recipient, reason) -> {
            if (!withheldFor.test(recipient)) {
                out.put(recipient, reason);
                return;
            }
            String codes = DeliveryStatusNotification.replyCodes(reason);
            out.put(recipient, gaveUp.contains(recipient)
                    ? "4.4.7 gave up after " + settings.getGiveUpAfter() + ": a temporary error" + withheld
                    : (codes.isEmpty() ? "" : codes + " ") + "delivery failed" + withheld);
        });
        if (!out.equals(reasons)) {
            LOG.info("{}: the bounce notice gives only status codes for some reasons ({}); the reasons: {}", id, why,
                    reasons);
        }
        return out;
    }

    private static final String UNENCRYPTED_NOTICE = "unencrypted notice, as it can name the correspondents";
    private static final String OUTSIDE_SENDER =
            "notice to a sender outside the business, as it describes the gateway itself";

    /**
     * Whether a notice goes to a sender outside the business: mail that came in from outside. Such a sender gets the
     * upstream server's replies and the policy's own reject messages, but not Veil's account of its own failures,
     * which names its upstream host and port, its DNS, its steps ("pseudonymisation failed: ...") and keys.
     */
    private static boolean toOutsideSender(SpoolEntry entry, Policy policy) {
        if (entry.direction() == Direction.OUTBOUND) {
            return false;
        }
        String sender = entry.envelope().sender();
        int at = sender.lastIndexOf('@');
        return policy == null || at <= 0 || !policy.protects(sender.substring(at + 1));
    }

    /**
     * Whether the bounce notice may quote the original's header. Not when the original came in for a protected
     * sender whose notice the policy would not encrypt: it would reach Exchange with the real correspondents, which
     * the original itself reached only pseudonymised or inside its encryption. Mail the business sent came from
     * Exchange as it is, and an external sender gets back only its own header.
     */
    private static boolean mayQuoteHeader(SpoolEntry entry, Policy policy) {
        if (entry.direction() == Direction.OUTBOUND) {
            return true;
        }
        if (policy == null) {
            return false; // cannot tell where the notice goes
        }
        if (toOutsideSender(entry, policy)) {
            return true;
        }
        return policy.decide(Direction.INBOUND, "", entry.envelope().sender())
                .map(d -> d.action() instanceof Action.Encrypt).orElse(false);
    }

    /**
     * Queues the notice for the sender, with the null sender so that it never bounces back. It is queued before the
     * bounced entry is settled: a crash in between sends a second notice, never none. A protected sender's notice
     * takes the inbound way (it quotes the original's header fields, which Exchange must not read in clear), anyone
     * else's the outbound relay.
     */
    private void returnToSender(QueueId id, Path notice, String sender, Policy policy) {
        int at = sender.lastIndexOf('@');
        boolean protectedSender = policy != null && at > 0 && policy.protects(sender.substring(at + 1));
        Direction way = protectedSender ? Direction.INBOUND : Direction.OUTBOUND;
        if (!steps.containsKey(way)) {
            LOG.warn("{}: no {} pipeline to send the bounce notice to {}; it stays in {}", id,
                    way.name().toLowerCase(), sender, notice);
            return;
        }
        try {
            QueueId queued = spool.acceptGenerated(notice, new Envelope("", List.of(sender)), way);
            LOG.info("{}: bounce notice to {} queued as {} ({})", id, sender, queued, way.name().toLowerCase());
        } catch (java.io.IOException e) {
            // the bounce itself stands; only the notice stays behind, where an admin can send it by hand
            LOG.error("{}: could not queue the bounce notice to {}: {}; it stays in {}", id, sender, e.getMessage(),
                    notice);
        }
    }

    Duration backoff(int attempts) {
        Duration initial = settings.getInitialRetryDelay().toJavaDuration();
        Duration max = settings.getMaxRetryDelay().toJavaDuration();
        Duration delay = initial.multipliedBy(1L << Math.min(attempts, 30));
        return delay.compareTo(max) > 0 || delay.isNegative() ? max : delay;
    }

    private static String first(Map<String, String> m) {
        return m.values().iterator().next();
    }

    private AuditRecord audit(QueueId id, List<String> recipients, String rule, String policyVersion,
                              List<String> keys, String outcome, String detail) {
        return new AuditRecord(id.value(), clock.instant(), "process", recipients, rule, policyVersion, keys, outcome,
                detail);
    }

}
