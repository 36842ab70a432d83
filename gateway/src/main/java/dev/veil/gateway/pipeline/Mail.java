package dev.veil.gateway.pipeline;

import dev.veil.config.Decision;
import dev.veil.config.Direction;
import dev.veil.config.Policy;
import dev.veil.gateway.auth.AuthVerdict;
import dev.veil.gateway.core.Envelope;
import dev.veil.gateway.core.QueueId;
import dev.veil.gateway.relay.OutgoingMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One recipient group of a queued message on its way through the steps — Veil's counterpart of a James
 * {@code Mail}. The spool file is never changed; a step that transforms the message writes a new file and
 * points {@link #content()} at it.
 */
public final class Mail {
    private final QueueId id;
    private final Direction direction;
    private final String sender;
    private final List<String> recipients;
    private final List<String> envelopeRecipients;
    private final Policy policy;
    private final Decision decision;
    private final Path original;
    private final String clientAddress;
    private final String helo;
    private Path content;
    private AuthVerdict authentication;
    private dev.veil.gateway.auth.ArcSealer.Chain arrivedArcChain;
    private Protection protection = Protection.NONE;
    private final List<String> keyFingerprints = new ArrayList<>();
    private final List<Path> scratch = new ArrayList<>();
    private String note = "";
    private String relaySender;
    private Map<String, List<String>> outerValues = Map.of();
    private boolean outerValuesGiven;
    private boolean correspondentsHidden;
    private boolean dmarcTagged;
    /** Header fields the relay writes above the content (the ARC set), newest first; empty: none. */
    private byte[] headerPrefix = new byte[0];

    /** What has been done to the content so far; the relay step checks it against the decision. */
    public enum Protection { NONE, SEALED, ALREADY_ENCRYPTED }

    public Mail(QueueId id, String sender, List<String> recipients, Policy policy, Decision decision, Path original) {
        this(id, Direction.INBOUND, new Envelope(sender, recipients), recipients, policy, decision, original);
    }

    public Mail(QueueId id, Direction direction, String sender, List<String> recipients, Policy policy,
                Decision decision, Path original) {
        this(id, direction, new Envelope(sender, recipients), recipients, policy, decision, original);
    }

    /** A group of the envelope's recipients (the envelope's are kept as {@link #envelopeRecipients}). */
    public Mail(QueueId id, Envelope envelope, List<String> recipients, Policy policy, Decision decision, Path original) {
        this(id, Direction.INBOUND, envelope, recipients, policy, decision, original);
    }

    /** A group of the envelope's recipients, travelling in {@code direction}. */
    public Mail(QueueId id, Direction direction, Envelope envelope, List<String> recipients, Policy policy,
                Decision decision, Path original) {
        String sender = envelope.sender();
        this.clientAddress = envelope.clientAddress();
        this.helo = envelope.helo();
        this.id = id;
        this.direction = direction;
        this.sender = sender;
        this.recipients = List.copyOf(recipients);
        this.envelopeRecipients = List.copyOf(envelope.recipients());
        this.policy = policy;
        this.decision = decision;
        this.original = original;
        this.content = original;
        this.relaySender = sender;
    }

    public QueueId id() { return id; }
    public Direction direction() { return direction; }
    public String sender() { return sender; }
    public List<String> recipients() { return recipients; }
    /** Every recipient still due in this attempt, of every group (the header each gets is the same). */
    public List<String> envelopeRecipients() { return envelopeRecipients; }
    public Policy policy() { return policy; }
    public Decision decision() { return decision; }
    public Path original() { return original; }
    /** The SMTP client's IP address as recorded at reception; "" if unknown. */
    public String clientAddress() { return clientAddress; }
    public String helo() { return helo; }
    /** The ARC chain the message arrived with, judged by the authenticate step before anything changed the message. */
    public Optional<dev.veil.gateway.auth.ArcSealer.Chain> arrivedArcChain() {
        return Optional.ofNullable(arrivedArcChain);
    }

    public void arrivedArcChain(dev.veil.gateway.auth.ArcSealer.Chain chain) {
        this.arrivedArcChain = chain;
    }

    /** The sender-authentication verdict, once the authenticate step has run. */
    public Optional<AuthVerdict> authentication() { return Optional.ofNullable(authentication); }
    public Path content() { return content; }
    public Protection protection() { return protection; }
    public List<String> keyFingerprints() { return List.copyOf(keyFingerprints); }
    public String note() { return note; }
    /** The envelope sender the relay uses: the real one, or its alias when correspondents are pseudonymised. */
    public String relaySender() { return relaySender; }
    /** Values the sealer shows outside the encryption instead of the real fields (see SealRequest.outerValues). */
    public Map<String, List<String>> outerValues() { return outerValues; }
    /** Whether the pseudonymise step gave {@link #outerValues()} (possibly none: a header without correspondents). */
    public boolean outerValuesGiven() { return outerValuesGiven; }
    /** Whether the content as it stands carries pseudonymised correspondents, not the real ones. */
    public boolean correspondentsHidden() { return correspondentsHidden; }

    /** Replaces the content with a transformed file (owned by this mail; deleted when it is done). */
    public void replaceContent(Path file, Protection protection, List<String> fingerprints) {
        requireNoPrefix();
        scratch.add(file);
        this.content = file;
        this.protection = protection;
        this.keyFingerprints.addAll(fingerprints);
    }

    /** Pseudonymised correspondents for the encrypt step to show outside; the content is not changed yet. */
    public void pseudonymiseOuterHeader(Map<String, List<String>> values, String relaySender) {
        this.outerValues = Map.copyOf(values);
        this.outerValuesGiven = true;
        this.relaySender = relaySender;
    }

    /**
     * Puts complete header fields (each ending in CRLF) above the content's header, without rewriting the file: the
     * relay sends them first ({@link #outgoing()}). For the arc-seal step, which runs right before relay; the content
     * cannot be replaced afterwards, since the fields were computed over it.
     */
    public void prependHeaderFields(byte[] fields) {
        byte[] joined = new byte[fields.length + headerPrefix.length];
        System.arraycopy(fields, 0, joined, 0, fields.length);
        System.arraycopy(headerPrefix, 0, joined, fields.length, headerPrefix.length);
        headerPrefix = joined;
    }

    /** What the relay sends: the prepended header fields, then the content. */
    public OutgoingMessage outgoing() {
        return new OutgoingMessage(headerPrefix, content);
    }

    private void requireNoPrefix() {
        if (headerPrefix.length > 0) {
            throw new IllegalStateException("the content cannot change after header fields were computed over it"
                    + " and put in front (arc-seal must be the last step before relay)");
        }
    }

    /** The content was rewritten with pseudonymised correspondents (header only; protection unchanged). */
    public void replaceHeader(Path file, String relaySender) {
        requireNoPrefix();
        scratch.add(file);
        this.content = file;
        this.relaySender = relaySender;
        this.correspondentsHidden = true;
    }

    /** The encrypt step sealed the content with {@link #outerValues()} outside. */
    /** The authenticate step tagged the Subject ({@link AuthenticateStep#DMARC_TAG}): the outer one carries it too. */
    public void markDmarcTagged() {
        this.dmarcTagged = true;
    }

    public boolean dmarcTagged() {
        return dmarcTagged;
    }

    public void markCorrespondentsHidden() {
        this.correspondentsHidden = true;
    }

    public void authenticated(AuthVerdict verdict) {
        this.authentication = verdict;
    }

    public void markAlreadyEncrypted() {
        this.protection = Protection.ALREADY_ENCRYPTED;
    }

    public void note(String note) {
        this.note = note;
    }

    /** Files this mail's steps created. */
    public List<Path> scratchFiles() {
        return List.copyOf(scratch);
    }
}
