package dev.veil.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads the ordered {@code rules} list. A rule with any error is left out of the result so the cross-rule checks that
 * follow do not pile consequential errors on top of the real one; its {@link RuleHead} (name and match) still takes
 * part in the shadowing check when those parts were read without error, since what a rule matches does not depend on
 * the rest. A block under a misspelt key ({@code encrpyt:}) is checked as the key it was meant to be, so every problem
 * is reported in one pass rather than one more after each fix.
 */
final class RulesReader {
    static final List<String> RULE_KEYS = List.of("name", "match", "encrypt", "pass", "reject", "pseudonymise");
    static final List<String> ACTIONS = List.of("encrypt", "pass", "reject");
    static final List<String> MATCH_KEYS = List.of("recipient", "sender", "direction");
    static final List<String> DIRECTIONS = List.of("inbound", "outbound");
    static final List<String> ENCRYPT_KEYS = List.of("format", "to", "cipher", "protect-headers", "subject",
            "already-encrypted");
    static final List<String> CIPHERS = List.of("aes-256-gcm", "aes-256-cbc");
    static final String DEFAULT_SUBJECT = "[encrypted]";
    /** Headers that may be hidden outside the encryption; routing and threading headers must stay readable. */
    static final List<String> HIDEABLE_HEADERS = List.of("subject", "keywords", "comments", "user-agent", "x-mailer",
            "organization", "in-reply-to", "references", "thread-topic", "thread-index");
    static final List<String> ROUTING_HEADERS = List.of("from", "to", "cc", "bcc", "date", "message-id", "sender",
            "reply-to", "return-path", "received", "mime-version", "content-type");
    static final List<String> PSEUDONYMISE_KEYS = List.of("correspondents", "alias-domain", "display-name");
    static final String DEFAULT_DISPLAY_NAME = "{token}";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^}]*)}");
    private static final Pattern HEADER_NAME = Pattern.compile("[!-9;-~]+");

    private final Problems problems;
    private final KeySettings keys;
    private final ProtectedDomains protectedDomains;
    private int ruleCount;
    private final List<RuleHead> heads = new ArrayList<>();

    RulesReader(Problems problems, KeySettings keys, ProtectedDomains protectedDomains) {
        this.problems = problems;
        this.keys = keys;
        this.protectedDomains = protectedDomains;
    }

    /** How many rules the file has, read or not: when more than were read, some had errors. */
    int ruleCount() {
        return ruleCount;
    }

    /** Every rule whose name and match were read without error, complete or not, in file order. */
    List<RuleHead> heads() {
        return List.copyOf(heads);
    }

    List<RuleSite> read(Node section) {
        List<RuleSite> out = new ArrayList<>();
        if (!(section instanceof SequenceNode seq)) {
            problems.error(section, "'rules' must be a list of rules (each starting with '- name:'), not " + YamlMap.kind(section));
            return out;
        }
        if (seq.getValue().isEmpty()) {
            problems.error(section, "'rules' is empty: with no rule every message is handled by on-error — add a rule");
            return out;
        }
        Map<String, Node> names = new HashMap<>();
        ruleCount = seq.getValue().size();
        for (Node item : seq.getValue()) {
            RuleSite site = rule(item, names);
            if (site != null) {
                out.add(site);
            }
        }
        return out;
    }

    private RuleSite rule(Node node, Map<String, Node> names) {
        YamlMap r = YamlMap.of(node, "a rule", RULE_KEYS, problems);
        if (r == null) {
            return null;
        }
        boolean ok = true;
        Scalar name = r.requiredText("name", "every rule needs a name: it is recorded in the audit log with each message");
        if (name != null && name.value().replaceAll("[\\s\\p{Z}\\p{Cf}]", "").isEmpty()) { // U+00A0, U+200B too
            // an audit record naming rule '' says nothing (a black-box probe's "" and "  " were taken)
            problems.error(name.node(), "a rule's name is blank: it is recorded in the audit log with each message —"
                    + " give it a name that says what the rule is for");
            name = null;
            ok = false;
        }
        if (name != null) {
            Node first = names.putIfAbsent(name.value(), name.node());
            if (first != null) {
                problems.error(name.node(), "duplicate rule name '" + name.value() + "' — already used on line " + YamlMap.line(first));
                ok = false;
            }
        }
        String label = name == null ? "this rule" : "rule '" + name.value() + "'";
        Match match = match(r);
        if (name != null && match != null) {
            heads.add(new RuleHead(name.value(), YamlMap.line(node), match, node));
        }
        Action action = action(r, label);
        Optional<Action.Pseudonymise> pseudonymise = Optional.empty();
        if (r.has("pseudonymise")) {
            if (r.has("reject")) {
                problems.error(r.keyNode("pseudonymise"), "pseudonymise has nothing to do on a rejected message — remove it");
                ok = false;
            } else {
                Action.Pseudonymise p = pseudonymise(r.value("pseudonymise"));
                ok &= p != null;
                pseudonymise = Optional.ofNullable(p);
            }
        } else if (r.misspelt("pseudonymise")) {
            pseudonymise(r.misspeltValue("pseudonymise"));
        }
        if (!ok || name == null || match == null || action == null) {
            return null;
        }
        if (action instanceof Action.Encrypt encrypt && pseudonymise.filter(Action.Pseudonymise::correspondents).isPresent()) {
            action = alreadyEncryptedUnderPseudonyms(encrypt, r.value("encrypt"));
        }
        Rule rule = new Rule(name.value(), YamlMap.line(node), match, action, pseudonymise);
        return new RuleSite(rule, node);
    }

    /** What the rule matches; null when that is unknown (an error in it, or its key misspelt). */
    private Match match(YamlMap rule) {
        if (rule.has("match")) {
            return match(rule.value("match"));
        }
        if (rule.misspelt("match")) {
            // checked for its own mistakes, but what the admin meant it to match is a guess: no cross-rule checks on it
            match(rule.misspeltValue("match"));
            return null;
        }
        return new Match(List.of(), List.of(), null);
    }

    private Match match(Node node) {
        YamlMap m = YamlMap.of(node, "'match'", MATCH_KEYS, problems);
        if (m == null) {
            return null;
        }
        List<String> recipients = patterns(m, "recipient");
        List<String> senders = patterns(m, "sender");
        Direction direction = null;
        boolean ok = true;
        if (m.has("direction")) {
            String d = YamlMap.oneOf(m.text("direction"), "direction", DIRECTIONS, problems);
            ok = d != null;
            direction = d == null ? null : Direction.valueOf(d.toUpperCase(Locale.ROOT));
        }
        return recipients == null || senders == null || !ok ? null : new Match(recipients, senders, direction);
    }

    private List<String> patterns(YamlMap m, String key) {
        if (!m.has(key)) {
            return List.of();
        }
        List<Scalar> list = m.textList(key);
        if (list == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (Scalar s : list) {
            try {
                AddressPattern p = AddressPattern.parse(s.value());
                if (p.kind() == AddressPattern.Kind.NULL_SENDER && key.equals("recipient")) {
                    problems.error(s.node(), "'<>' is the null (bounce) sender; it can only appear under sender");
                    ok = false;
                } else {
                    out.add(s.value().strip());
                }
            } catch (AddressPattern.Invalid e) {
                problems.error(s.node(), e.getMessage());
                ok = false;
            }
        }
        return ok ? out : null;
    }

    private Action action(YamlMap r, String label) {
        List<String> present = ACTIONS.stream().filter(r::has).toList();
        if (present.isEmpty()) {
            List<String> misspelt = ACTIONS.stream().filter(r::misspelt).toList();
            if (!misspelt.isEmpty()) {
                // the misspelling is the error; what the block says is checked too, but the rule stays unread
                misspelt.forEach(a -> action(a, r.misspeltKey(a), r.misspeltValue(a), label));
                return null;
            }
            String hint = r.has("pseudonymise") ? " — pseudonymise goes with encrypt or pass" : "";
            problems.error(r.node(), label + " has no action: add one of encrypt, pass or reject" + hint);
            return null;
        }
        if (present.size() > 1) {
            problems.error(r.keyNode(present.get(1)), label + " has both '" + present.get(0) + "' and '" + present.get(1)
                    + "' — a rule does exactly one of encrypt, pass or reject");
            return null;
        }
        String action = present.get(0);
        return action(action, r.keyNode(action), r.value(action), label);
    }

    private Action action(String action, Node key, Node value, String label) {
        return switch (action) {
            case "encrypt" -> encrypt(value);
            case "pass" -> pass(key, value, label);
            default -> reject(key, value, label);
        };
    }

    private Action.Encrypt encrypt(Node node) {
        YamlMap e = YamlMap.of(node, "'encrypt'", ENCRYPT_KEYS, problems);
        if (e == null) {
            return null;
        }
        String f = YamlMap.oneOf(e.requiredText("format", "smime or openpgp"), "format", KeysReader.FORMATS, problems);
        Action.Format format = f == null ? null : KeysReader.format(f);
        if (format != null && !keys.formats().contains(format)) {
            problems.error(e.value("format"), "format '" + f + "' is not in keys.formats — add it there first");
            format = null;
        }
        List<String> to = targets(e, format);
        ContentCipher cipher = cipher(e, format);
        List<String> headers = protectHeaders(e);
        String subject = subject(e, headers);
        Action.AlreadyEncrypted already = alreadyEncrypted(e);
        if (format == null || to == null || cipher == null || headers == null || subject == null || already == null) {
            return null;
        }
        return new Action.Encrypt(format, to, cipher, subject, headers, already);
    }

    private List<String> targets(YamlMap e, Action.Format format) {
        if (!e.has("to")) {
            e.missing("to", "whose keys to encrypt to, e.g. [recipient, escrow]");
            return null;
        }
        List<Scalar> list = e.textList("to");
        if (list == null) {
            return null;
        }
        List<String> known = new ArrayList<>(KeysReader.RESERVED_TARGETS);
        known.addAll(keys.named().keySet());
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (Scalar s : list) {
            String t = s.value();
            if (out.contains(t)) {
                problems.error(s.node(), "'" + t + "' is listed twice in 'to'");
                ok = false;
            } else if (t.equals("escrow") && !keys.escrow()) {
                problems.error(s.node(), "'escrow' is named but there is no escrow key — set 'escrow: true' under keys or remove it here");
                ok = false;
            } else if (!known.contains(t)) {
                problems.error(s.node(), "no key named '" + t + "'" + Suggest.closest(t, known)
                        .map(c -> " — did you mean '" + c + "'?")
                        .orElse(" — use recipient, escrow or a key defined under keys.named"));
                ok = false;
            } else if (keys.named().containsKey(t) && format != null && keys.named().get(t).format() != format) {
                problems.error(s.node(), "key '" + t + "' is " + KeysReader.spelled(keys.named().get(t).format())
                        + " but this rule encrypts with " + KeysReader.spelled(format));
                ok = false;
            } else {
                out.add(t);
            }
        }
        return ok ? out : null;
    }

    /**
     * Mail that is already encrypted passes with whatever its sender's software wrote outside the ciphertext: CMS
     * recipient identifiers (the issuer name and serial number of each recipient's certificate, the sender's own among
     * them), originator certificates, OpenPGP key ids, armor headers, a boundary made of a host name. Any of these can
     * name the correspondent (found by a black-box probe: {@code CN=Alice Zebra/emailAddress=alice@partner.example}
     * reached Exchange under a pseudonymising rule). So where a rule pseudonymises correspondents, such mail is
     * encrypted again unless the rule says {@code already-encrypted: pass}, which is then warned about.
     */
    private Action.Encrypt alreadyEncryptedUnderPseudonyms(Action.Encrypt encrypt, Node encryptNode) {
        Node given = mappingValue(encryptNode, "already-encrypted");
        if (given == null) {
            return new Action.Encrypt(encrypt.format(), encrypt.to(), encrypt.cipher(), encrypt.subject(),
                    encrypt.protectHeaders(), Action.AlreadyEncrypted.ENCRYPT);
        }
        if (encrypt.alreadyEncrypted() == Action.AlreadyEncrypted.PASS) {
            problems.warning(given, "already-encrypted mail passes with what its sender wrote outside the ciphertext"
                    + " (certificate issuer names and serial numbers, key ids, armor headers), which can name the"
                    + " correspondent this rule pseudonymises; without this line such mail is encrypted again");
        }
        return encrypt;
    }

    /** The value of {@code key} in a mapping node, or null. */
    private static Node mappingValue(Node mapping, String key) {
        if (mapping instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    return t.getValueNode();
                }
            }
        }
        return null;
    }

    private Action.AlreadyEncrypted alreadyEncrypted(YamlMap e) {
        if (!e.has("already-encrypted")) {
            return Action.AlreadyEncrypted.PASS;
        }
        String v = YamlMap.oneOf(e.text("already-encrypted"), "already-encrypted", List.of("pass", "encrypt"), problems);
        return v == null ? null : (v.equals("encrypt") ? Action.AlreadyEncrypted.ENCRYPT : Action.AlreadyEncrypted.PASS);
    }

    private ContentCipher cipher(YamlMap e, Action.Format format) {
        if (!e.has("cipher")) {
            return ContentCipher.AES_256_GCM;
        }
        String c = YamlMap.oneOf(e.text("cipher"), "cipher", CIPHERS, problems);
        if (c == null) {
            return null;
        }
        if (c.equals("aes-256-cbc")) {
            if (format == Action.Format.OPENPGP) {
                problems.error(e.value("cipher"), "OpenPGP has no CBC mode — use aes-256-gcm or leave cipher out");
                return null;
            }
            problems.warning(e.value("cipher"), "aes-256-cbc does not detect tampering with the ciphertext"
                    + " — use aes-256-gcm unless recipients' mail clients cannot read it");
            return ContentCipher.AES_256_CBC;
        }
        return ContentCipher.AES_256_GCM;
    }

    private List<String> protectHeaders(YamlMap e) {
        if (!e.has("protect-headers")) {
            return List.of("subject");
        }
        List<Scalar> list = e.textList("protect-headers");
        if (list == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (Scalar s : list) {
            String h = s.value().strip().toLowerCase(Locale.ROOT);
            if (ROUTING_HEADERS.contains(h)) {
                problems.error(s.node(), "'" + s.value() + "' cannot be hidden: Exchange needs it to deliver, sort or thread mail");
                ok = false;
            } else if (!HIDEABLE_HEADERS.contains(h) && !(h.startsWith("x-") && HEADER_NAME.matcher(h).matches())) {
                problems.error(s.node(), "unknown header '" + s.value() + "'" + Suggest.closest(h, HIDEABLE_HEADERS)
                        .map(c -> " — did you mean '" + c + "'?")
                        .orElse(" — hideable are " + String.join(", ", HIDEABLE_HEADERS) + " and X- headers"));
                ok = false;
            } else if (out.contains(h)) {
                problems.error(s.node(), "header '" + s.value() + "' is listed twice");
                ok = false;
            } else {
                out.add(h);
            }
        }
        return ok ? out : null;
    }

    private String subject(YamlMap e, List<String> headers) {
        if (!e.has("subject")) {
            return DEFAULT_SUBJECT;
        }
        Node v = e.value("subject");
        Scalar s = e.text("subject");
        if (s == null) {
            return null;
        }
        if (headers != null && !headers.contains("subject")) {
            problems.error(e.keyNode("subject"), "a subject placeholder is set but 'subject' is not in protect-headers");
            return null;
        }
        if (s.value().contains("\n") || s.value().contains("\r")) {
            problems.error(v, "the subject placeholder must be a single line");
            return null;
        }
        return s.value();
    }

    private Action.Pass pass(Node key, Node v, String label) {
        if (v instanceof ScalarNode n && n.getTag().equals(Tag.NULL)) {
            problems.error(key, label + ": pass needs a reason — add 'reason:'; it is logged with every message this lets through unencrypted");
            return null;
        }
        YamlMap p = YamlMap.of(v, "'pass'", List.of("reason"), problems);
        if (p == null) {
            return null;
        }
        Scalar reason = p.requiredText("reason", "it is logged with every message this lets through unencrypted");
        if (reason == null) {
            return null;
        }
        if (reason.value().isBlank()) {
            problems.error(reason.node(), "the reason for pass is blank — say why this mail may travel unencrypted");
            return null;
        }
        return new Action.Pass(reason.value().strip());
    }

    private Action.Reject reject(Node key, Node v, String label) {
        if (v instanceof ScalarNode n && n.getTag().equals(Tag.NULL)) {
            problems.error(key, label + ": reject needs a message — add 'message:'; the sender sees it");
            return null;
        }
        YamlMap m = YamlMap.of(v, "'reject'", List.of("message"), problems);
        if (m == null) {
            return null;
        }
        Scalar message = m.requiredText("message", "the text the sender sees");
        if (message == null) {
            return null;
        }
        String text = message.value().strip();
        if (text.isEmpty() || !Addresses.isAscii(text) || text.contains("\n") || text.contains("\r")) {
            problems.error(message.node(), "the reject message must be one non-empty line of ASCII text: it becomes the SMTP reply");
            return null;
        }
        return new Action.Reject(text);
    }

    private Action.Pseudonymise pseudonymise(Node node) {
        YamlMap p = YamlMap.of(node, "'pseudonymise'", PSEUDONYMISE_KEYS, problems);
        if (p == null) {
            return null;
        }
        Boolean on = p.bool("correspondents");
        if (p.has("correspondents") && on == null) {
            return null;
        }
        boolean correspondents = on == null || on;
        if (!correspondents) {
            return new Action.Pseudonymise(false, null, DEFAULT_DISPLAY_NAME);
        }
        String aliasDomain = aliasDomain(p);
        String displayName = displayName(p);
        return aliasDomain == null || displayName == null ? null
                : new Action.Pseudonymise(true, aliasDomain, displayName);
    }

    private String aliasDomain(YamlMap p) {
        Scalar s = p.requiredText("alias-domain", "the domain alias addresses live in, e.g. alias.example.com");
        if (s == null) {
            return null;
        }
        return protectedDomains.aliasDomain(s, problems, "aliases");
    }

    private String displayName(YamlMap p) {
        if (!p.has("display-name")) {
            return DEFAULT_DISPLAY_NAME;
        }
        Scalar s = p.text("display-name");
        if (s == null) {
            return null;
        }
        Matcher m = PLACEHOLDER.matcher(s.value());
        while (m.find()) {
            if (!m.group(1).equals("token")) {
                problems.error(s.node(), "unknown placeholder '{" + m.group(1) + "}'"
                        + Suggest.closest(m.group(1), List.of("token")).map(c -> " — did you mean '{" + c + "}'?")
                        .orElse(" — the only placeholder is {token}"));
                return null;
            }
        }
        return s.value();
    }
}
