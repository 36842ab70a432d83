package dev.veil.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The answer to {@code veil policy explain}: which rule matched a sender/recipient pair, what will be done with which
 * keys, and why every earlier rule did not match. Structured for the admin API, with {@link #text()} for the CLI.
 *
 * @param sender    normalised sender, {@code <>} for the null sender
 * @param recipient normalised recipient
 * @param steps     the rules tried, in order; the last one matched when {@code decision} is present
 */
public record Explanation(
        Direction direction,
        String sender,
        String recipient,
        boolean recipientProtected,
        List<Step> steps,
        Optional<Decision> decision,
        OnError onError,
        KeySettings keys,
        String source) {

    public Explanation {
        steps = List.copyOf(steps);
    }

    /** One rule tried: whether it matched, and why (not). */
    public record Step(Rule rule, boolean matched, String why) {
    }

    /** Human-readable lines, e.g. for the terminal. */
    public String text() {
        List<String> out = new ArrayList<>();
        out.add(RuleMiss.name(direction) + " mail from " + sender + " to " + recipient);
        out.add(recipientProtected ? "  the recipient's domain is protected" : "  the recipient's domain is not protected");
        if (direction == Direction.INBOUND && !recipientProtected) {
            // the listener refuses such a RCPT (no open relay): no rule is ever asked, so listing them would mislead
            out.add("  => refused at RCPT with 550 5.7.1 (Veil relays inbound mail only to protected domains);"
                    + " no rule applies");
            return String.join("\n", out) + "\n";
        }
        for (Step s : steps) {
            out.add("  rule '" + s.rule().name() + "' (" + source + ":" + s.rule().line() + ") "
                    + (s.matched() ? "matches: " : "does not match: ") + s.why());
        }
        if (decision.isEmpty()) {
            out.add("  no rule matches: " + noRuleText());
            return String.join("\n", out) + "\n";
        }
        Rule rule = decision.get().rule();
        out.add("  => " + actionText(decision.get().action()));
        rule.pseudonymise().ifPresent(p -> out.add("     " + pseudonymiseText(p)));
        if (decision.get().action() instanceof Action.Encrypt) {
            out.add("     if that fails: " + onErrorText());
        }
        return String.join("\n", out) + "\n";
    }

    private String actionText(Action action) {
        if (action instanceof Action.Encrypt e) {
            String format = e.format() == Action.Format.SMIME ? "S/MIME" : "OpenPGP";
            StringBuilder s = new StringBuilder("encrypt with " + format + " ("
                    + e.cipher().name().toLowerCase(Locale.ROOT).replace('_', '-') + ") to: ");
            List<String> targets = new ArrayList<>();
            for (String t : e.to()) {
                targets.add(targetText(t, e.format()));
            }
            s.append(String.join("; ", targets));
            s.append("\n     outside the encryption: ");
            List<String> hidden = new ArrayList<>();
            for (String h : e.protectHeaders()) {
                hidden.add(h.equals("subject") ? "Subject shown as \"" + e.subject() + "\"" : h + " removed");
            }
            s.append(hidden.isEmpty() ? "headers unchanged" : String.join(", ", hidden));
            return s.toString();
        }
        if (action instanceof Action.Pass p) {
            return "relay unencrypted; logged with reason \"" + p.reason() + "\"";
        }
        if (action instanceof Action.Reject r) {
            return "reject with \"" + r.message() + "\"";
        }
        return action.toString();
    }

    private String targetText(String target, Action.Format format) {
        if (target.equals("recipient")) {
            // Veil makes keys only for the protected domains' users; an outside recipient's must be imported
            boolean issues = format == Action.Format.SMIME && keys.issueUserCertificates() && recipientProtected;
            return "the recipient's own " + (format == Action.Format.SMIME ? "certificate" : "key")
                    + (issues ? " (issued by the organisation CA on first need)"
                            : recipientProtected ? " (must exist, else on-error)" : " (must be imported, else on-error)");
        }
        if (target.equals("escrow")) {
            return "the organisation escrow key";
        }
        NamedKey k = keys.named().get(target);
        return "named key '" + target + "'" + (k == null ? "" : " (" + k.file() + ")");
    }

    private static String pseudonymiseText(Action.Pseudonymise p) {
        if (!p.correspondents()) {
            return "correspondents are not pseudonymised";
        }
        return "correspondents pseudonymised as <token>@" + p.aliasDomain() + ", display name \"" + p.displayName() + "\"";
    }

    /**
     * True when no rule matches and the gateway relays the message as submitted: outbound mail is the business's own,
     * which Exchange has already seen in clear (README, "Outbound"). Inbound mail that no rule matches goes to on-error.
     */
    public boolean relayedAsSubmitted() {
        return decision.isEmpty() && direction == Direction.OUTBOUND;
    }

    private String noRuleText() {
        if (relayedAsSubmitted()) {
            return "outbound mail that no rule matches leaves as submitted (relayed unencrypted: it is the business's"
                    + " own mail, which Exchange has already seen in clear)";
        }
        return "the message is handled as on-error says: " + onErrorText();
    }

    private String onErrorText() {
        return switch (onError) {
            case DEFER -> "defer (retry later, then bounce); never relayed as plaintext";
            case QUARANTINE -> "quarantine for an admin; never relayed as plaintext";
            case REJECT -> "reject; never relayed as plaintext";
        };
    }
}
