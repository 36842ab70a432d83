package dev.veil.gateway.core;

import dev.veil.gateway.db.MessageIdPartyDao;
import dev.veil.gateway.db.SentMessageIdDao;
import io.dropwizard.util.Duration;
import java.sql.SQLException;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forgets the Message-IDs of mail sent more than {@code outbound.keepSentIds} ago (table {@code sent_message_id}),
 * and who knew received ones not seen for as long (table {@code message_party}), at
 * start and then daily, so that the table does not grow for ever. A correspondent's reply that names such an old
 * message shows a token for it in Exchange's copy, like a reply to mail sent around Veil.
 */
public final class SentIdPruner extends PeriodicTask {
    private static final Logger LOG = LoggerFactory.getLogger(SentIdPruner.class);
    static final Duration INTERVAL = Duration.days(1);
    private final SentMessageIdDao sentIds;
    private final MessageIdPartyDao idParties;
    private final Duration keep;
    private final Clock clock;

    /** @param keep {@code outbound.keepSentIds}, as written there (it appears so in the log) */
    public SentIdPruner(SentMessageIdDao sentIds, Duration keep, Clock clock) {
        this(sentIds, null, keep, clock);
    }

    /** @param idParties who knows which received ids (pruned by the same period), or null */
    public SentIdPruner(SentMessageIdDao sentIds, MessageIdPartyDao idParties, Duration keep, Clock clock) {
        super("veil-sent-id-pruner", Duration.seconds(0), INTERVAL);
        if (keep.getQuantity() <= 0) {
            throw new IllegalArgumentException("outbound.keepSentIds must be longer than 0, not " + keep);
        }
        this.sentIds = sentIds;
        this.idParties = idParties;
        this.keep = keep;
        this.clock = clock;
    }

    /** Deletes the ids recorded before now minus {@code keep}; returns how many. */
    public int prune() throws SQLException {
        java.time.Instant cutoff = clock.instant().minus(keep.toJavaDuration());
        if (idParties != null) {
            idParties.deleteRecordedBefore(cutoff);
        }
        return sentIds.deleteRecordedBefore(cutoff);
    }

    @Override
    protected void runOnce() {
        try {
            int forgotten = prune();
            if (forgotten > 0) {
                LOG.info("forgot {} sent Message-ID(s) recorded more than {} ago (outbound.keepSentIds)", forgotten,
                        keep);
            }
        } catch (SQLException e) {
            LOG.warn("cannot prune the sent Message-IDs, trying again in {}: {}", interval(), e.getMessage());
        }
    }
}
