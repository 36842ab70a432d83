package dev.veil.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import dev.veil.config.Direction;
import dev.veil.config.Policy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import dev.veil.gateway.QueueSettings;
import dev.veil.gateway.TestClock;
import dev.veil.gateway.core.Envelope;
import dev.veil.gateway.core.IncomingMessage;
import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.core.Spool;
import dev.veil.gateway.core.SpoolEntry;
import dev.veil.gateway.core.SpoolState;
import dev.veil.gateway.correspondents.CorrespondentRestorer;
import dev.veil.gateway.correspondents.Reidentifier;
import dev.veil.gateway.db.Database;
import dev.veil.gateway.db.SpoolDao;
import dev.veil.gateway.relay.OutgoingMessage;
import dev.veil.gateway.relay.PartialDeliveryException;
import dev.veil.gateway.relay.PermanentFailureException;
import dev.veil.gateway.relay.Upstream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outbound entries through the same processor as inbound ones: their own pipeline, their own relay. */
class OutboundProcessingTest {
    private static final String REPLY = "From: Alice <alice@example.com>\r\nTo: \"Contact 7QF2\" <c-7qf2@alias.example.net>\r\n"
            + "In-Reply-To: <t-1@alias.example.net>\r\nSubject: re: plan\r\n\r\nSee you at noon.\r\n";
    private static final String POLICY = PolicyLoader.exampleYaml().replace("rules:\n", """
            rules:
              - name: no-mail-to-competitor
                match:
                  recipient: "*@competitor.example"
                  direction: outbound
                reject:
                  message: We do not write to competitor.example
            """);

    @TempDir
    Path dir;
    private Database database;
    private SpoolDao dao;
    private Spool spool;
    private final Recording inboundRelay = new Recording();
    private final Recording outboundRelay = new Recording();
    private RuntimeException vaultFailure;

    private final Reidentifier aliases = new Reidentifier() {
        @Override
        public boolean isAliasAddress(String address) {
            if (vaultFailure != null) {
                throw vaultFailure;
            }
            return address.endsWith("@alias.example.net");
        }

        @Override
        public Optional<String> realAddress(String aliasAddress) {
            return aliasAddress.equals("c-7qf2@alias.example.net") ? Optional.of("bob@partner.example") : Optional.empty();
        }

        @Override
        public Optional<String> realMessageId(String id) {
            return id.equals("<t-1@alias.example.net>") ? Optional.of("<CAF1@mail.partner.example>") : Optional.empty();
        }

        @Override
        public Optional<String> partyOf(String realAddress) {
            return realAddress.equalsIgnoreCase("bob@partner.example") ? Optional.of("c-7qf2") : Optional.empty();
        }

        @Override
        public Optional<String> aliasOf(String realAddress) {
            return realAddress.equals("bob@partner.example") ? Optional.of("c-7qf2@alias.example.net") : Optional.empty();
        }
    };

    /** Records what it was given, with the content as it was at that moment. */
    static final class Recording implements Upstream {
        final List<String> recipients = new ArrayList<>();
        final List<String> contents = new ArrayList<>();
        String refusal;
        PartialDeliveryException partial;

        @Override
        public void send(QueueId id, OutgoingMessage message, String sender, List<String> rcpts)
                throws PermanentFailureException, PartialDeliveryException {
            if (refusal != null) {
                throw new PermanentFailureException(refusal);
            }
            if (partial != null) {
                throw partial;
            }
            recipients.addAll(rcpts);
            try {
                try (var in = message.open()) {
                    contents.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
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

    @BeforeEach
    void open() throws Exception {
        database = Database.openEmbedded(dir.resolve("data"));
        dao = new SpoolDao(database);
        spool = new Spool(dir.resolve("spool"), dao, new TestClock(Instant.parse("2030-01-01T00:00:00Z")));
    }

    @AfterEach
    void close() {
        database.close();
    }

    private MessageProcessor processor() {
        PolicyLoad load = PolicyLoader.parse("policy.yml", POLICY);
        assertThat(load.hasErrors()).as("%s", load.problems()).isFalse();
        Policy policy = load.policy().orElseThrow();
        List<MailStep> inbound = List.of(new RejectStep(), new PassStep(), new RelayStep(inboundRelay));
        List<MailStep> outbound = List.of(new RestoreCorrespondentsStep(spool, new CorrespondentRestorer(aliases,
                        (id, parties) -> id.equals("CAF1@mail.partner.example") && parties.contains("c-7qf2"))),
                new RejectStep(), new PassStep(), new RelayStep(outboundRelay));
        return new MessageProcessor(spool, dao, () -> policy,
                Map.of(Direction.INBOUND, inbound, Direction.OUTBOUND, outbound), new QueueSettings(), "veil.test",
                new MetricRegistry(), new TestClock(Instant.parse("2030-01-01T00:00:00Z")), aliases);
    }

    private QueueId queue(Direction direction, String... recipients) throws Exception {
        IncomingMessage message = spool.begin(0);
        message.write(REPLY.getBytes(StandardCharsets.UTF_8));
        return spool.accept(message, new Envelope("alice@example.com", List.of(recipients)), direction);
    }

    private SpoolEntry run(QueueId id) throws Exception {
        assertThat(dao.claim(id, Instant.parse("2030-01-01T00:00:00Z"))).isTrue();
        processor().process(id);
        return dao.find(id).orElseThrow();
    }

    @Test
    void outboundMailLeavesThroughTheOutboundRelayWithRealCorrespondentsAndNoRuleMeansAsSubmitted() throws Exception {
        SpoolEntry entry = run(queue(Direction.OUTBOUND, "bob@partner.example"));

        assertThat(entry.direction()).isEqualTo(Direction.OUTBOUND);
        assertThat(entry.state()).isEqualTo(SpoolState.RELAYED);
        assertThat(inboundRelay.recipients).isEmpty();
        assertThat(outboundRelay.recipients).containsExactly("bob@partner.example");
        assertThat(outboundRelay.contents.get(0)).isEqualTo(REPLY
                .replace("c-7qf2@alias.example.net", "bob@partner.example")
                .replace("<t-1@alias.example.net>", "<CAF1@mail.partner.example>"));
        assertThat(Files.list(dir.resolve("spool").resolve("work"))).as("scratch files removed").isEmpty();
    }

    @Test
    void inboundMailThatNoRuleMatchesIsStillDeferredTheOutboundDefaultDoesNotLeakIntoIt() throws Exception {
        SpoolEntry entry = run(queue(Direction.INBOUND, "bob@partner.example"));

        assertThat(entry.direction()).isEqualTo(Direction.INBOUND);
        assertThat(entry.state()).isEqualTo(SpoolState.DEFERRED);
        assertThat(entry.lastError()).contains("no policy rule matches");
        assertThat(inboundRelay.recipients).isEmpty();
        assertThat(outboundRelay.recipients).isEmpty();
    }

    @Test
    void whenRestorationFailsTheMessageIsDeferredAndNothingLeaves() throws Exception {
        vaultFailure = new IllegalStateException("vault is locked");

        SpoolEntry entry = run(queue(Direction.OUTBOUND, "bob@partner.example"));

        assertThat(entry.state()).isEqualTo(SpoolState.DEFERRED);
        assertThat(entry.lastError()).contains("correspondents could not be restored").contains("vault is locked");
        assertThat(outboundRelay.recipients).isEmpty();
        assertThat(spool.messageFile(entry.id())).hasContent(REPLY);
    }

    @Test
    void anOutboundRejectRuleBouncesThatRecipientOnly() throws Exception {
        SpoolEntry entry = run(queue(Direction.OUTBOUND, "someone@competitor.example", "bob@partner.example"));

        assertThat(entry.state()).isEqualTo(SpoolState.BOUNCED);
        assertThat(outboundRelay.recipients).containsExactly("bob@partner.example");
        assertThat(spool.dsnFile(entry.id())).exists();
    }

    @Test
    void aBounceOfMailToAnAliasNamesTheAliasNotTheRealAddress() throws Exception {
        // the notice goes back to the protected sender through Exchange, perhaps unencrypted: it must not carry the
        // real address the alias stood for, neither as the failed recipient nor in the remote server's words (which
        // are left out: only the codes stay)
        outboundRelay.refusal = "550 5.1.1 <Bob@Partner.Example>: Recipient address rejected: User unknown";

        SpoolEntry entry = run(queue(Direction.OUTBOUND, "bob@partner.example"));

        assertThat(entry.state()).isEqualTo(SpoolState.BOUNCED);
        String notice = Files.readString(spool.dsnFile(entry.id()), StandardCharsets.UTF_8);
        assertThat(notice).contains("Final-Recipient: rfc822; c-7qf2@alias.example.net")
                .contains("<c-7qf2@alias.example.net>: 550 5.1.1 (the rest of the reason is left out", "Status: 5.1.1");
        assertThat(notice.toLowerCase()).doesNotContain("partner.example", "recipient address rejected");
    }

    /**
     * The message went to a correspondent (delivered) and to someone else (refused): the server that refused the other
     * saw the whole transaction and can name the correspondent in its reason in any spelling, so that reason too keeps
     * only its codes.
     */
    @Test
    void whenTheMessageWentToACorrespondentAnotherRecipientsReasonKeepsOnlyItsCodes() throws Exception {
        outboundRelay.partial = new PartialDeliveryException("mixed", List.of("bob@partner.example"), List.of(),
                List.of("carol@other.example"), Map.of("carol@other.example", "550 5.7.1 <carol@other.example>"
                        + " refused; also in this transaction: bob%40partner.example user=bob [192.0.2.77]"));

        SpoolEntry entry = run(queue(Direction.OUTBOUND, "bob@partner.example", "carol@other.example"));

        assertThat(entry.state()).isEqualTo(SpoolState.BOUNCED);
        String notice = Files.readString(spool.dsnFile(entry.id()), StandardCharsets.UTF_8);
        assertThat(notice).contains("Final-Recipient: rfc822; carol@other.example\r\nAction: failed\r\n"
                + "Status: 5.7.1\r\nDiagnostic-Code: smtp; 550 5.7.1 (the rest of the reason is left out");
        assertThat(notice.toLowerCase()).doesNotContain("partner.example", "user=bob", "192.0.2.77");
    }

    /**
     * The same when the correspondent was addressed only in the envelope (a Bcc: the header names no alias) and got
     * the message at an earlier attempt, so that the envelope of the attempt that bounces no longer holds them.
     */
    @Test
    void aCorrespondentDeliveredAtAnEarlierAttemptStillCountsForALaterNotice() throws Exception {
        IncomingMessage message = spool.begin(0);
        message.write("From: Alice <alice@example.com>\r\nTo: carol@other.example\r\nSubject: plan\r\n\r\nNoon.\r\n"
                .getBytes(StandardCharsets.UTF_8));
        QueueId id = spool.accept(message, new Envelope("alice@example.com",
                List.of("bob@partner.example", "carol@other.example")), Direction.OUTBOUND);
        outboundRelay.partial = new PartialDeliveryException("mixed", List.of("bob@partner.example"),
                List.of("carol@other.example"), List.of(), Map.of("carol@other.example", "451 4.3.0 try later"));
        assertThat(run(id).state()).isEqualTo(SpoolState.DEFERRED);
        outboundRelay.partial = new PartialDeliveryException("refused", List.of(), List.of(),
                List.of("carol@other.example"), Map.of("carol@other.example", "550 5.7.1 <carol@other.example>"
                        + " refused; you also wrote to bob%40partner.example user=bob"));

        assertThat(dao.claim(id, dao.find(id).orElseThrow().nextAttemptAt())).isTrue();
        processor().process(id);

        assertThat(dao.find(id).orElseThrow().state()).isEqualTo(SpoolState.BOUNCED);
        String notice = Files.readString(spool.dsnFile(id), StandardCharsets.UTF_8);
        assertThat(notice).contains("Diagnostic-Code: smtp; 550 5.7.1 (the rest of the reason is left out");
        assertThat(notice.toLowerCase()).doesNotContain("partner.example", "user=bob");
    }
}
