package dev.veil.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.codahale.metrics.MetricRegistry;
import dev.veil.config.Action;
import dev.veil.config.Direction;
import dev.veil.config.OnError;
import dev.veil.config.Policy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import dev.veil.gateway.QueueSettings;
import dev.veil.gateway.TestClock;
import dev.veil.gateway.core.AuditRecord;
import dev.veil.gateway.core.Envelope;
import dev.veil.gateway.core.IncomingMessage;
import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.Spool;
import dev.veil.gateway.core.SpoolEntry;
import dev.veil.gateway.core.SpoolState;
import dev.veil.gateway.db.AuditDao;
import dev.veil.gateway.db.Database;
import dev.veil.gateway.db.SpoolDao;
import dev.veil.gateway.relay.OutgoingMessage;
import dev.veil.gateway.relay.PartialDeliveryException;
import dev.veil.gateway.relay.PermanentFailureException;
import dev.veil.gateway.relay.TemporaryFailureException;
import dev.veil.gateway.relay.Upstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The error processor: what state a queue entry ends in for every way a step or the upstream can fail, with fake
 * steps and a recording upstream instead of crypto and SMTP.
 */
class MessageProcessorTest {
    private static final Instant T0 = Instant.parse("2030-01-02T03:04:05Z");
    private static final String SENDER = "alice@sender.test";
    /** Encrypted by the example policy's rule "protect-example". */
    private static final String BOB = "bob@example.com";
    /** Passed by the added rule "pass-public". */
    private static final String PUBLIC_A = "public-a@example.com";
    private static final String PUBLIC_B = "public-b@example.com";
    private static final String PUBLIC_C = "public-c@example.com";
    private static final String BODY = "The body must never be quoted.";
    private static final byte[] MESSAGE = ("From: Alice <alice@sender.test>\r\nTo: bob@example.com\r\n"
            + "Subject: merger plans\r\nMessage-ID: <m1@sender.test>\r\n\r\n" + BODY + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    private static final String PASS_RULE = """
              - name: pass-public
                match:
                  recipient: "public-*@example.com"
                pass:
                  reason: published on the website anyway
            """;

    /** One database for the class (opening H2 costs more than a test); every test has its own queue ids. */
    @TempDir
    static Path dataDir;
    private static Database database;
    private static SpoolDao dao;
    private static AuditDao audit;

    @TempDir
    Path dir;
    private Spool spool;
    private TestClock clock;
    private QueueSettings settings;
    private RecordingUpstream upstream;

    @BeforeAll
    static void openDatabase() throws Exception {
        database = Database.openEmbedded(dataDir);
        dao = new SpoolDao(database);
        audit = new AuditDao(database);
    }

    @AfterAll
    static void closeDatabase() {
        database.close();
    }

    @BeforeEach
    void open() throws Exception {
        clock = new TestClock(T0);
        spool = new Spool(dir.resolve("spool"), dao, clock);
        settings = new QueueSettings();
        settings.setInitialRetryDelay(io.dropwizard.util.Duration.minutes(1));
        settings.setMaxRetryDelay(io.dropwizard.util.Duration.hours(1));
        settings.setGiveUpAfter(io.dropwizard.util.Duration.days(5));
        upstream = new RecordingUpstream();
    }

    // --- fail closed: a step that cannot protect the message -----------------------------------------------------

    @Test
    void defersWhenAStepFailsClosedAndOnErrorIsDefer() throws Exception {
        Policy policy = policy(OnError.DEFER);
        QueueId id = queue(BOB);

        run(processor(policy, failing(new FailClosedException("no certificate for bob@example.com"))), id);

        SpoolEntry entry = entry(id);
        assertThat(entry.state()).isEqualTo(SpoolState.DEFERRED);
        assertThat(entry.attempts()).isEqualTo(1);
        assertThat(entry.nextAttemptAt()).isEqualTo(T0.plus(Duration.ofMinutes(1)));
        assertThat(entry.lastError()).isEqualTo("no certificate for bob@example.com");
        assertThat(spool.messageFile(id)).hasBinaryContent(MESSAGE);
        assertThat(upstream.sent).isEmpty();
        assertThat(spool.dsnFile(id)).doesNotExist();
    }

    @Test
    void quarantinesAndKeepsTheFileWhenAStepFailsClosedAndOnErrorIsQuarantine() throws Exception {
        Policy policy = policy(OnError.QUARANTINE);
        QueueId id = queue(BOB);

        run(processor(policy, failing(new FailClosedException("no certificate for bob@example.com"))), id);

        SpoolEntry entry = entry(id);
        assertThat(entry.state()).isEqualTo(SpoolState.QUARANTINED);
        assertThat(entry.lastError()).isEqualTo("no certificate for bob@example.com");
        assertThat(spool.messageFile(id)).hasBinaryContent(MESSAGE);
        assertThat(upstream.sent).isEmpty();
        assertThat(spool.dsnFile(id)).doesNotExist();
        assertThat(dao.claim(id, T0.plus(Duration.ofDays(30)))).isFalse();
    }

    @Test
    void bouncesWithADsnWhenAStepFailsClosedAndOnErrorIsReject() throws Exception {
        Policy policy = policy(OnError.REJECT);
        QueueId id = queue(BOB);

        run(processor(policy, failing(new FailClosedException("no certificate for bob@example.com"))), id);

        SpoolEntry entry = entry(id);
        assertThat(entry.state()).isEqualTo(SpoolState.BOUNCED);
        assertThat(entry.lastError()).isEqualTo("550 5.7.1 no certificate for bob@example.com");
        assertThat(upstream.sent).isEmpty();
        assertThat(spool.messageFile(id)).doesNotExist();
        String dsn = Files.readString(spool.dsnFile(id));
        // the sender is outside the business: it learns that delivery failed and where to ask, not how Veil failed
        assertThat(dsn).contains("To: <alice@sender.test>", "Final-Recipient: rfc822; bob@example.com",
                "Status: 5.7.1", "550 5.7.1 delivery failed", "queue id " + id.value())
                .doesNotContain("certificate");
    }

    /**
     * A notice to a sender outside the business keeps what was meant for it (the upstream server's reply, the policy's
     * reject message) and leaves out Veil's account of its own failures, which names its upstream host and port.
     */
    @Test
    void aNoticeToAnOutsideSenderKeepsServerRepliesButNotVeilsOwnAccount() throws Exception {
        Policy policy = policy(OnError.DEFER);
        MessageProcessor processor = processor(policy, new PassStep(), new RelayStep(upstream));
        QueueId refusedConnection = queue(PUBLIC_A);
        QueueId busyMailbox = queue(PUBLIC_B);
        QueueId unknownUser = queue(PUBLIC_C);
        clock.set(T0.plus(Duration.ofDays(6))); // past giveUpAfter: a temporary failure now bounces

        upstream.failure = new TemporaryFailureException("upstream exchange.internal:2525: Connection refused");
        run(processor, refusedConnection);
        upstream.failure = TemporaryFailureException.serverReply("451 4.2.1 mailbox busy, try later", null);
        run(processor, busyMailbox);
        upstream.failure = new PermanentFailureException("550 5.1.1 user unknown");
        run(processor, unknownUser);

        String refused = Files.readString(spool.dsnFile(refusedConnection));
        assertThat(refused).contains("Status: 5.4.7", "4.4.7 gave up after 5 days: a temporary error", "queue id " + refusedConnection.value())
                .doesNotContain("exchange.internal", "2525", "refused");
        assertThat(entry(refusedConnection).lastError()).contains("exchange.internal:2525"); // the admin still sees it
        assertThat(Files.readString(spool.dsnFile(busyMailbox))).contains("451 4.2.1 mailbox busy, try later");
        assertThat(Files.readString(spool.dsnFile(unknownUser))).contains("550 5.1.1 user unknown")
                .doesNotContain("left out");
    }

    @Test
    void aStepsQuarantineVerdictHoldsTheMessageWhateverOnErrorSays() throws Exception {
        Policy policy = policy(OnError.DEFER);
        QueueId id = queue(BOB);

        run(processor(policy, failing(new QuarantineException("DMARC failed for spoofed.example"))), id);

        assertThat(entry(id).state()).isEqualTo(SpoolState.QUARANTINED);
        assertThat(entry(id).lastError()).isEqualTo("DMARC failed for spoofed.example");
        assertThat(spool.messageFile(id)).hasBinaryContent(MESSAGE);
        assertThat(upstream.sent).isEmpty();
    }

    @Test
    void anUnexpectedExceptionInAStepIsHandledLikeAFailClosedOne() throws Exception {
        Policy policy = policy(OnError.QUARANTINE);
        QueueId id = queue(BOB);

        run(processor(policy, failing(new IllegalStateException("bug in a step"))), id);

        assertThat(entry(id).state()).isEqualTo(SpoolState.QUARANTINED);
        assertThat(entry(id).lastError()).isEqualTo("IllegalStateException: bug in a step");
        assertThat(upstream.sent).isEmpty();
    }

    @Test
    void relaysNothingWhenNoStepEncryptedAMessageThePolicyWantsEncrypted() throws Exception {
        Policy policy = policy(OnError.DEFER);
        QueueId id = queue(BOB);

        run(processor(policy, new PassStep(), new RelayStep(upstream)), id);

        assertThat(upstream.sent).isEmpty();
        assertThat(entry(id).state()).isEqualTo(SpoolState.DEFERRED);
        assertThat(entry(id).lastError()).contains("not encrypted");
        assertThat(spool.messageFile(id)).exists();
    }

    @Test
    void aRecipientNoRuleMatchesIsHandledByOnErrorWhileTheOthersGoOn() throws Exception {
        Policy policy = policy(OnError.DEFER);
        QueueId id = queue(PUBLIC_A, "stranger@other.test");

        run(processor(policy, new PassStep(), new RelayStep(upstream)), id);

        assertThat(upstream.sent).singleElement()
                .satisfies(s -> assertThat(s.recipients()).containsExactly(PUBLIC_A));
        SpoolEntry entry = entry(id);
        assertThat(entry.state()).isEqualTo(SpoolState.DEFERRED);
        assertThat(entry.envelope().recipients()).containsExactly("stranger@other.test");
        assertThat(entry.lastError()).isEqualTo("no policy rule matches this recipient");
    }

    @Test
    void aRecipientNoRuleMatchesIsQuarantinedWithOnErrorQuarantine() throws Exception {
        Policy policy = policy(OnError.QUARANTINE);
        QueueId id = queue("stranger@other.test");

        run(processor(policy, new PassStep(), new RelayStep(upstream)), id);

        assertThat(upstream.sent).isEmpty();
        assertThat(entry(id).state()).isEqualTo(SpoolState.QUARANTINED);
        assertThat(spool.messageFile(id)).exists();
    }

    @Test
    void waitsWhenNoPolicyIsInForce() throws Exception {
        QueueId id = queue(PUBLIC_A);
        MessageProcessor processor = new MessageProcessor(spool, dao, () -> null,
                List.of(new PassStep(), new RelayStep(upstream)), settings, "veil.test", new MetricRegistry(), clock);

        run(processor, id);

        assertThat(upstream.sent).isEmpty();
        assertThat(entry(id).state()).isEqualTo(SpoolState.DEFERRED);
        assertThat(entry(id).lastError()).isEqualTo("no valid policy is loaded");
    }

    @Test
    void quarantinesAnEntryWhoseSpoolFileIsMissing() throws Exception {
        QueueId id = queue(PUBLIC_A);
        Files.delete(spool.messageFile(id));

        run(processor(policy(OnError.DEFER), new PassStep(), new RelayStep(upstream)), id);

        assertThat(upstream.sent).isEmpty();
        assertThat(entry(id).state()).isEqualTo(SpoolState.QUARANTINED);
        assertThat(entry(id).lastError()).startsWith("spool file missing: Veil removes it only after the message"
                + " was settled");
        // and the audit says so: GET /audit?queueId= is where an admin looks first
        assertThat(audit.forQueueId(id.value())).singleElement()
                .satisfies(r -> {
                    assertThat(r.event()).isEqualTo("recovery");
                    assertThat(r.outcome()).isEqualTo("quarantined");
                    assertThat(r.detail()).contains("the database lost that record");
                });
    }

    // --- upstream outcomes ------------------------------------------------------------------------------------------

    @Test
    void relaysTheMessageAndRemovesTheSpoolFile() throws Exception {
        Policy policy = policy(OnError.DEFER);
        QueueId id = queue(PUBLIC_A, PUBLIC_B);

        run(processor(policy, new PassStep(), new RelayStep(upstream)), id);

        assertThat(upstream.sent).singleElement().satisfies(s -> {
            assertThat(s.id()).isEqualTo(id);
            assertThat(s.sender()).isEqualTo(SENDER);
            assertThat(s.recipients()).containsExactly(PUBLIC_A, PUBLIC_B);
            assertThat(s.content()).isEqualTo(MESSAGE);
        });
        SpoolEntry entry = entry(id);
        assertThat(entry.state()).isEqualTo(SpoolState.RELAYED);
        assertThat(entry.attempts()).isEqualTo(1);
        assertThat(entry.lastError()).isNull();
        assertThat(spool.messageFile(id)).doesNotExist();
        assertThat(spool.dsnFile(id)).doesNotExist();
    }

    @Test
    void relaysTheSealedContentAndDeletesTheStepsScratchFile() throws Exception {
        Policy policy = policy(OnError.DEFER);
        QueueId id = queue(BOB);
        SealingStep sealing = new SealingStep(spool);

        run(processor(policy, sealing, new RelayStep(upstream)), id);

        assertThat(upstream.sent).singleElement()
                .satisfies(s -> assertThat(new String(s.content(), StandardCharsets.US_ASCII)).startsWith("SEALED\r\n"));
        assertThat(sealing.written).isNotNull().doesNotExist();
        assertThat(entry(id).state()).isEqualTo(SpoolState.RELAYED);
        assertThat(audit.forQueueId(id.value())).singleElement()
                .satisfies(a -> assertThat(a.keyFingerprints()).containsExactly("fp-bob", "fp-escrow"));
    }

    @Test
    void eachStepsCpuTimeAndRunsAreCountedInTheMetricsAndAStepThatDoesNotApplyIsNot() throws Exception {
        Policy policy = policy(OnError.DEFER);
        MetricRegistry metrics = new MetricRegistry();
        MailStep busy = new MailStep() { // about 30 ms of this thread's CPU
            @Override public String name() { return "busy"; }
            @Override public boolean applies(Mail mail) { return true; }
            @Override public void service(Mail mail) {
                var threads = java.lang.management.ManagementFactory.getThreadMXBean();
                long until = threads.getCurrentThreadCpuTime() + 30_000_000L;
                long spin = 0;
                while (threads.getCurrentThreadCpuTime() < until) {
                    spin++;
                }
                mail.note("spun " + spin);
            }
        };
        MailStep never = new MailStep() {
            @Override public String name() { return "never"; }
            @Override public boolean applies(Mail mail) { return false; }
            @Override public void service(Mail mail) { throw new AssertionError("does not apply"); }
        };
        MessageProcessor processor = new MessageProcessor(spool, dao, () -> policy,
                List.of(busy, never, new PassStep(), new RelayStep(upstream)), settings, "veil.test", metrics, clock);
        run(processor, queue(PUBLIC_A));
        run(processor, queue(PUBLIC_B));

        assertThat(metrics.counter("step.busy.runs").getCount()).isEqualTo(2);
        assertThat(metrics.counter("step.busy.cpu-us").getCount()).isBetween(60_000L, 2_000_000L);
        assertThat(metrics.counter("step.relay.runs").getCount()).isEqualTo(2);
        assertThat(metrics.getCounters()).doesNotContainKeys("step.never.runs", "step.never.cpu-us");
    }

    @Test
    void defersATemporaryFailureWithABackoffThatDoublesUpToTheMaximum() throws Exception {
        Policy policy = policy(OnError.DEFER);
        QueueId id = queue(PUBLIC_A);
        upstream.failure = new TemporaryFailureException("451 4.4.1 upstream busy");
        MessageProcessor processor = processor(policy, new PassStep(), new RelayStep(upstream));
        long[] minutes = {1, 2, 4, 8, 16, 32, 60, 60, 60};

        for (int attempt = 0; attempt < minutes.length; attempt++) {
            Instant now = clock.instant();
            run(processor, id);
            SpoolEntry entry = entry(id);
            assertThat(entry.state()).isEqualTo(SpoolState.DEFERRED);
            assertThat(entry.attempts()).isEqualTo(attempt + 1);
            assertThat(Duration.between(now, entry.nextAttemptAt()))
                    .as("delay after attempt %d", attempt + 1)
                    .isEqualTo(Duration.ofMinutes(minutes[attempt]));
            assertThat(entry.lastError()).isEqualTo("451 4.4.1 upstream busy");
            clock.set(entry.nextAttemptAt());
        }
        assertThat(spool.messageFile(id)).exists();
        assertThat(spool.dsnFile(id)).doesNotExist();
    }

    @Test
    void backoffNeverOverflowsAfterManyAttempts() throws Exception {
        MessageProcessor processor = processor(policy(OnError.DEFER), new RelayStep(upstream));

        assertThat(processor.backoff(0)).isEqualTo(Duration.ofMinutes(1));
        assertThat(processor.backoff(5)).isEqualTo(Duration.ofMinutes(32));
        assertThat(processor.backoff(6)).isEqualTo(Duration.ofHours(1));
        assertThat(processor.backoff(63)).isEqualTo(Duration.ofHours(1));
        assertThat(processor.backoff(Integer.MAX_VALUE)).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void keepsRetryingATemporaryFailureUntilGiveUpAfter() throws Exception {
        QueueId id = queue(PUBLIC_A);
        upstream.failure = new TemporaryFailureException("451 4.4.1 upstream busy");
        clock.set(T0.plus(Duration.ofDays(5)).minusSeconds(1));

        run(processor(policy(OnError.DEFER), new PassStep(), new RelayStep(upstream)), id);

        assertThat(entry(id).state()).isEqualTo(SpoolState.DEFERRED);
        assertThat(spool.dsnFile(id)).doesNotExist();
    }

    @Test
    void bouncesWithADsnWhenATemporaryFailureOutlastsGiveUpAfter() throws Exception {
        QueueId id = queue(PUBLIC_A);
        upstream.failure = new TemporaryFailureException("451 4.4.1 upstream busy");
        clock.set(T0.plus(Duration.ofDays(5)).plusSeconds(1));

        run(processor(policy(OnError.DEFER), new PassStep(), new RelayStep(upstream)), id);

        SpoolEntry entry = entry(id);
        assertThat(entry.state()).isEqualTo(SpoolState.BOUNCED);
        assertThat(entry.lastError()).contains("gave up", "451 4.4.1 upstream busy");
        assertThat(spool.messageFile(id)).doesNotExist();
        String dsn = Files.readString(spool.dsnFile(id));
        assertThat(dsn).contains("Final-Recipient: rfc822; public-a@example.com", "Status: 5.4.7", "gave up");
        // the audit ends as the entry does (a black-box probe found only "deferred" rows)
        assertThat(audit.forQueueId(id.value())).extracting(AuditRecord::outcome, AuditRecord::recipients)
                .containsExactly(tuple("deferred", List.of(PUBLIC_A)), tuple("bounced", List.of(PUBLIC_A)));
        assertThat(audit.forQueueId(id.value()).get(1).detail())
                .isEqualTo("4.4.7 gave up after 5 days: 451 4.4.1 upstream busy");
    }

    @Test
    void bouncesAPermanentFailureWithADsnThatQuotesTheHeaderButNotTheBody() throws Exception {
        QueueId id = queue(PUBLIC_A);
        upstream.failure = new PermanentFailureException("550 5.1.1 <public-a@example.com>: user unknown");

        run(processor(policy(OnError.DEFER), new PassStep(), new RelayStep(upstream)), id);

        SpoolEntry entry = entry(id);
        assertThat(entry.state()).isEqualTo(SpoolState.BOUNCED);
        assertThat(entry.lastError()).isEqualTo("550 5.1.1 <public-a@example.com>: user unknown");
        assertThat(spool.messageFile(id)).doesNotExist();
        Path dsnFile = spool.dsnFile(id);
        assertThat(dsnFile.getParent().getFileName()).hasToString("dsn");
        String dsn = Files.readString(dsnFile);
        assertThat(dsn).contains("To: <alice@sender.test>", "Final-Recipient: rfc822; public-a@example.com",
                "Action: failed", "Status: 5.1.1", "Subject: merger plans", "Message-ID: <m1@sender.test>");
        assertThat(dsn).doesNotContain(BODY);
    }

    @Test
    void writesNoDsnForABounceOfTheNullSender() throws Exception {
        QueueId id = queueFrom("", PUBLIC_A);
        upstream.failure = new PermanentFailureException("550 5.1.1 user unknown");

        run(processor(policy(OnError.DEFER), new PassStep(), new RelayStep(upstream)), id);

        assertThat(entry(id).state()).isEqualTo(SpoolState.BOUNCED);
        assertThat(spool.dsnFile(id)).doesNotExist();
    }

    @Test
    void bouncesTheRecipientsARejectRuleRefuses() throws Exception {
        QueueId id = queue(PUBLIC_A);
        Policy policy = policy(OnError.DEFER, """
                  - name: no-public
                    match:
                      recipient: "public-*@example.com"
                    reject:
                      message: public addresses are retired
                """);

        run(processor(policy, new RejectStep(), new PassStep(), new RelayStep(upstream)), id);

        assertThat(upstream.sent).isEmpty();
        assertThat(entry(id).state()).isEqualTo(SpoolState.BOUNCED);
        assertThat(Files.readString(spool.dsnFile(id))).contains("Status: 5.7.1", "public addresses are retired");
    }

    @Test
    void keepsOnlyTheTemporarilyFailedRecipientsAfterAPartialDelivery() throws Exception {
        QueueId id = queue(PUBLIC_A, PUBLIC_B, PUBLIC_C);
        upstream.failure = new PartialDeliveryException("550 5.1.1 no such user " + PUBLIC_C,
                List.of(PUBLIC_A), List.of(PUBLIC_B), List.of(PUBLIC_C),
                Map.of(PUBLIC_B, "451 4.2.0 mailbox busy " + PUBLIC_B, PUBLIC_C, "550 5.1.1 no such user " + PUBLIC_C));
        MessageProcessor processor = processor(policy(OnError.DEFER), new PassStep(), new RelayStep(upstream));

        run(processor, id);

        SpoolEntry entry = entry(id);
        assertThat(entry.state()).isEqualTo(SpoolState.DEFERRED);
        assertThat(entry.envelope().recipients()).containsExactly(PUBLIC_B);
        assertThat(spool.messageFile(id)).exists();
        String dsn = Files.readString(spool.dsnFile(id));
        assertThat(dsn).contains("Final-Recipient: rfc822; " + PUBLIC_C);
        assertThat(dsn).doesNotContain("Final-Recipient: rfc822; " + PUBLIC_A, "Final-Recipient: rfc822; " + PUBLIC_B);
        // the audit says who went, who waits and who bounced: a row per outcome
        assertThat(audit.forQueueId(id.value())).extracting(AuditRecord::outcome, AuditRecord::recipients)
                .containsExactlyInAnyOrder(tuple("relayed", List.of(PUBLIC_A)), tuple("deferred", List.of(PUBLIC_B)),
                        tuple("bounced", List.of(PUBLIC_C)));
        // each row's detail is what the upstream said to its own recipients (a probe saw another's 550 on "deferred")
        assertThat(audit.forQueueId(id.value())).filteredOn(a -> !a.outcome().equals("relayed"))
                .extracting(AuditRecord::outcome, AuditRecord::detail)
                .containsExactlyInAnyOrder(tuple("deferred", "451 4.2.0 mailbox busy " + PUBLIC_B),
                        tuple("bounced", "550 5.1.1 no such user " + PUBLIC_C));

        upstream.failure = null;
        clock.set(entry.nextAttemptAt());
        run(processor, id);

        assertThat(upstream.sent).singleElement()
                .satisfies(s -> assertThat(s.recipients()).containsExactly(PUBLIC_B));
        assertThat(entry(id).state()).isEqualTo(SpoolState.RELAYED);
        assertThat(spool.messageFile(id)).doesNotExist();
    }

    /**
     * A message can bounce in instalments: one recipient at the first attempt, another when the queue gives up.
     * Every notice stays in {@code spool/dsn/} (the record of what was sent), so the first must survive the second.
     */
    @Test
    void keepsTheFirstBounceNoticeWhenALaterAttemptBouncesOtherRecipients() throws Exception {
        QueueId id = queue(PUBLIC_B, PUBLIC_C);
        MessageProcessor processor = processor(policy(OnError.DEFER), new PassStep(), new RelayStep(upstream));
        upstream.failure = new PartialDeliveryException("mixed", List.of(), List.of(PUBLIC_B), List.of(PUBLIC_C));
        run(processor, id);
        // nobody was delivered, and the audit does not say otherwise
        assertThat(audit.forQueueId(id.value())).extracting(AuditRecord::outcome)
                .containsExactlyInAnyOrder("deferred", "bounced");
        clock.set(entry(id).nextAttemptAt());
        upstream.failure = new PermanentFailureException("550 5.2.1 mailbox disabled");

        run(processor, id);

        assertThat(entry(id).state()).isEqualTo(SpoolState.BOUNCED);
        assertThat(allDsnText()).contains("Final-Recipient: rfc822; " + PUBLIC_C, "Final-Recipient: rfc822; " + PUBLIC_B);
    }

    // --- bounce notices to the sender -------------------------------------------------------------------------------

    @Test
    void queuesTheBounceNoticeForAnExternalSenderOnTheOutboundWayWithTheNullSender() throws Exception {
        QueueId id = queue(BOB);
        MessageProcessor processor = processorWithOutbound(policy(OnError.REJECT),
                failing(new FailClosedException("no certificate for bob@example.com")));

        run(processor, id);

        assertThat(entry(id).state()).isEqualTo(SpoolState.BOUNCED);
        QueueId notice = onlyQueued();
        SpoolEntry queued = entry(notice);
        assertThat(queued.direction()).isEqualTo(Direction.OUTBOUND);
        assertThat(queued.state()).isEqualTo(SpoolState.RECEIVED);
        assertThat(queued.envelope().sender()).isEmpty();
        assertThat(queued.envelope().recipients()).containsExactly(SENDER);
        assertThat(spool.messageFile(notice)).hasSameBinaryContentAs(spool.dsnFile(id));
    }

    @Test
    void queuesTheBounceNoticeForAProtectedSenderOnTheInboundWaySoItIsEncrypted() throws Exception {
        QueueId id = queueFrom("carol@example.com", BOB);
        MessageProcessor processor = processorWithOutbound(policy(OnError.REJECT),
                failing(new FailClosedException("no certificate for bob@example.com")));

        run(processor, id);

        QueueId notice = onlyQueued();
        SpoolEntry queued = entry(notice);
        assertThat(queued.direction()).isEqualTo(Direction.INBOUND);
        assertThat(queued.envelope().sender()).isEmpty();
        assertThat(queued.envelope().recipients()).containsExactly("carol@example.com");
        // carol's rule encrypts the notice, so it may quote the original's header
        assertThat(Files.readString(spool.messageFile(notice)))
                .contains("Content-Type: text/rfc822-headers", "Subject: merger plans");
    }

    /**
     * A protected sender whose rule passes mail unencrypted would get the real header of the bounced message into
     * Exchange in clear (its correspondents, which the original reached Exchange without): the notice leaves it out.
     */
    @Test
    void aNoticeThePolicyPassesUnencryptedDoesNotQuoteTheHeaderOfInboundMail() throws Exception {
        QueueId id = queueFrom(PUBLIC_C, BOB);
        MessageProcessor processor = processorWithOutbound(policy(OnError.REJECT),
                failing(new FailClosedException("no certificate for bob@example.com")));

        run(processor, id);

        QueueId notice = onlyQueued();
        assertThat(entry(notice).direction()).isEqualTo(Direction.INBOUND);
        assertThat(Files.readString(spool.messageFile(notice)))
                .contains("Final-Recipient: rfc822; bob@example.com", "The message's header is not quoted")
                .doesNotContain("text/rfc822-headers", "merger plans", "sender.test");
    }

    /**
     * Where the header is left out, so is the detail of each reason: a give-up after sender authentication could not
     * look up the correspondent's DMARC record, or a step's error, names the correspondent as well. The codes and the
     * kind of failure stay.
     */
    @Test
    void aNoticeThatDoesNotQuoteTheHeaderGivesOnlyTheCodesOfEachReason() throws Exception {
        QueueId id = queueFrom(PUBLIC_C, BOB, PUBLIC_A);
        MailStep stuck = new MailStep() {
            @Override
            public String name() {
                return "stuck";
            }

            @Override
            public boolean applies(Mail mail) {
                return true;
            }

            @Override
            public void service(Mail mail) throws Exception {
                if (mail.recipients().contains(BOB)) {
                    throw new TemporaryFailureException("sender authentication: temperror: DMARC: DNS lookup of TXT"
                            + " _dmarc.broken.example failed: SERVFAIL");
                }
                throw new PermanentFailureException("550 5.7.1 no key for mail from someone@broken.example");
            }
        };
        clock.set(T0.plus(Duration.ofDays(5)).plusSeconds(1));

        run(processorWithOutbound(policy(OnError.DEFER), stuck), id);

        assertThat(entry(id).state()).isEqualTo(SpoolState.BOUNCED);
        String notice = Files.readString(spool.messageFile(onlyQueued()));
        assertThat(notice).doesNotContain("broken.example", "SERVFAIL", "DMARC", "no key", "text/rfc822-headers")
                .contains("Final-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.4.7\r\n"
                        + "Diagnostic-Code: smtp; 4.4.7 gave up after 5 days: a temporary error (the detail is left out",
                        "Final-Recipient: rfc822; public-a@example.com\r\nAction: failed\r\nStatus: 5.7.1\r\n"
                        + "Diagnostic-Code: smtp; 550 5.7.1 delivery failed (the detail is left out",
                        "<bob@example.com>: 4.4.7 gave up after 5 days: a temporary error",
                        "in Veil's log and queue under queue id " + id);
        // the detail stays where an admin looks
        assertThat(entry(id).lastError()).contains("broken.example");
    }

    @Test
    void queuesNoNoticeWhenSendBouncesIsOffOrTheBounceHadTheNullSender() throws Exception {
        settings.setSendBounces(false);
        QueueId off = queue(BOB);
        run(processorWithOutbound(policy(OnError.REJECT), failing(new FailClosedException("no key"))), off);
        assertThat(spool.dsnFile(off)).exists();
        settings.setSendBounces(true);
        QueueId fromNullSender = queueFrom("", BOB);
        run(processorWithOutbound(policy(OnError.REJECT), failing(new FailClosedException("no key"))), fromNullSender);

        assertThat(entry(off).state()).isEqualTo(SpoolState.BOUNCED);
        assertThat(entry(fromNullSender).state()).isEqualTo(SpoolState.BOUNCED);
        assertThat(spool.dsnFile(fromNullSender)).doesNotExist();
        try (Stream<Path> files = Files.list(spool.queueDirectory())) {
            // nothing queued: only the two notes that they were settled, until a checkpoint
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder(off.value() + ".bounced",
                    fromNullSender.value() + ".bounced");
        }
        assertThat(spool.forgetSettled()).isEqualTo(2);
        try (Stream<Path> files = Files.list(spool.queueDirectory())) {
            assertThat(files).isEmpty();
        }
    }

    /** The queue id of the one message in this test's queue directory. */
    private QueueId onlyQueued() throws IOException {
        try (Stream<Path> files = Files.list(spool.queueDirectory())) {
            List<String> names = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".eml")).toList();
            assertThat(names).hasSize(1);
            return new QueueId(names.get(0).substring(0, names.get(0).length() - ".eml".length()));
        }
    }

    private MessageProcessor processorWithOutbound(Policy policy, MailStep... steps) {
        return new MessageProcessor(spool, dao, () -> policy,
                Map.of(Direction.INBOUND, Arrays.asList(steps), Direction.OUTBOUND, List.of(new PassStep())),
                settings, "veil.test", new MetricRegistry(), clock);
    }

    // --- audit ------------------------------------------------------------------------------------------------------

    @Test
    void auditsEachRecipientGroupWithItsRuleAndThePolicyVersion() throws Exception {
        Policy policy = policy(OnError.DEFER);
        QueueId id = queue(PUBLIC_A, BOB);
        Instant processedAt = T0.plusSeconds(7);
        clock.set(processedAt);

        run(processor(policy, new PassStep(), new RelayStep(upstream)), id);

        List<AuditRecord> rows = audit.forQueueId(id.value());
        assertThat(rows).hasSize(2);
        AuditRecord passed = rows.stream().filter(r -> r.policyRule().equals("pass-public")).findFirst().orElseThrow();
        assertThat(passed.event()).isEqualTo("process");
        assertThat(passed.recipients()).containsExactly(PUBLIC_A);
        assertThat(passed.policyVersion()).isEqualTo(policy.contentHash()).hasSize(64);
        assertThat(passed.outcome()).isEqualTo("relayed");
        assertThat(passed.detail()).isEqualTo("pass: published on the website anyway");
        assertThat(passed.at()).isEqualTo(processedAt);
        AuditRecord refused = rows.stream().filter(r -> r.policyRule().equals("protect-example")).findFirst()
                .orElseThrow();
        assertThat(refused.recipients()).containsExactly(BOB);
        assertThat(refused.policyVersion()).isEqualTo(policy.contentHash());
        assertThat(refused.outcome()).isEqualTo("deferred");
        assertThat(refused.keyFingerprints()).isEmpty();
        assertThat(rows).allSatisfy(r -> assertThat(r.detail() == null ? "" : r.detail()).doesNotContain("merger"));
    }

    @Test
    void auditsTheOutcomeOfAFailClosedStep() throws Exception {
        Policy policy = policy(OnError.QUARANTINE);
        QueueId id = queue(BOB);

        run(processor(policy, failing(new FailClosedException("escrow key missing"))), id);

        assertThat(audit.forQueueId(id.value())).singleElement().satisfies(a -> {
            assertThat(a.policyRule()).isEqualTo("protect-example");
            assertThat(a.policyVersion()).isEqualTo(policy.contentHash());
            assertThat(a.outcome()).isEqualTo("quarantined");
            assertThat(a.detail()).isEqualTo("escrow key missing");
        });
    }

    // --- helpers ----------------------------------------------------------------------------------------------------

    private static Policy policy(OnError onError) {
        return policy(onError, PASS_RULE);
    }

    /** The example policy with {@code extraRules} placed before its rule "protect-example". */
    private static Policy policy(OnError onError, String extraRules) {
        String yaml = PolicyLoader.exampleYaml()
                .replace("on-error: defer", "on-error: " + onError.name().toLowerCase())
                .replace("rules:\n  - name: protect-example", "rules:\n" + extraRules + "  - name: protect-example");
        PolicyLoad load = PolicyLoader.parse("policy.yml", yaml);
        assertThat(load.hasErrors()).as("policy problems: %s", load.problems()).isFalse();
        Policy policy = load.policy().orElseThrow();
        assertThat(policy.onError()).isEqualTo(onError);
        return policy;
    }

    private MessageProcessor processor(Policy policy, MailStep... steps) {
        Supplier<Policy> policies = () -> policy;
        return new MessageProcessor(spool, dao, policies, Arrays.asList(steps), settings, "veil.test",
                new MetricRegistry(), clock);
    }

    private QueueId queue(String... recipients) throws IOException {
        return queueFrom(SENDER, recipients);
    }

    private QueueId queueFrom(String sender, String... recipients) throws IOException {
        IncomingMessage message = spool.begin(0);
        message.write(MESSAGE);
        return spool.accept(message, new Envelope(sender, List.of(recipients)));
    }

    /** What a worker does: claim, then process. */
    private void run(MessageProcessor processor, QueueId id) throws Exception {
        assertThat(dao.claim(id, clock.instant())).as("claim of %s", id).isTrue();
        processor.process(id);
    }

    private SpoolEntry entry(QueueId id) throws Exception {
        return dao.find(id).orElseThrow();
    }

    private String allDsnText() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("spool").resolve("dsn"))) {
            return files.map(f -> {
                try {
                    return Files.readString(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).collect(Collectors.joining("\n"));
        }
    }

    private static MailStep failing(Exception e) {
        return new MailStep() {
            @Override
            public String name() {
                return "failing";
            }

            @Override
            public boolean applies(Mail mail) {
                return true;
            }

            @Override
            public void service(Mail mail) throws Exception {
                throw e;
            }
        };
    }

    /** Stands in for the encrypt step: writes a scratch file and marks the mail sealed. */
    private static final class SealingStep implements MailStep {
        private final Spool spool;
        Path written;

        SealingStep(Spool spool) {
            this.spool = spool;
        }

        @Override
        public String name() {
            return "encrypt";
        }

        @Override
        public boolean applies(Mail mail) {
            return mail.decision().action() instanceof Action.Encrypt && mail.protection() == Mail.Protection.NONE;
        }

        @Override
        public void service(Mail mail) throws Exception {
            written = spool.workFile(mail.id(), "sealed.eml");
            Files.write(written, ("SEALED\r\n" + Files.readString(mail.content())).getBytes(StandardCharsets.US_ASCII));
            mail.replaceContent(written, Mail.Protection.SEALED, List.of("fp-bob", "fp-escrow"));
        }
    }

    /** Records what would have left for Exchange, or throws the failure it is told to. */
    static final class RecordingUpstream implements Upstream {
        record Sent(QueueId id, byte[] content, String sender, List<String> recipients) {
        }

        final List<Sent> sent = new ArrayList<>();
        Exception failure;

        @Override
        public void send(QueueId id, OutgoingMessage message, String sender, List<String> recipients)
                throws TemporaryFailureException, PermanentFailureException, PartialDeliveryException {
            if (failure instanceof TemporaryFailureException e) {
                throw e;
            }
            if (failure instanceof PermanentFailureException e) {
                throw e;
            }
            if (failure instanceof PartialDeliveryException e) {
                throw e;
            }
            try {
                try (var in = message.open()) {
                    sent.add(new Sent(id, in.readAllBytes(), sender, List.copyOf(recipients)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String describe() {
            return "recording";
        }

        @Override
        public void probe() {
        }
    }
}
