package dev.veil.config;

import java.time.Period;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/** Reads the {@code keys} section into {@link KeySettings}, warning about weak choices. */
final class KeysReader {
    static final List<String> KEYS = List.of("formats", "escrow", "ca", "smime", "openpgp", "rotation", "keep-old-keys", "named");
    static final List<String> FORMATS = List.of("smime", "openpgp");
    static final List<String> SMIME_ALGORITHMS = List.of("rsa-3072", "rsa-4096", "ec-p256", "ec-p384", "rsa-2048");
    static final List<String> OPENPGP_ALGORITHMS = List.of("ed25519", "rsa-3072", "rsa-4096", "rsa-2048");
    static final List<String> RESERVED_TARGETS = List.of("recipient", "escrow");
    private static final Pattern KEY_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Period TWO_YEARS = Period.ofYears(2);

    private final Problems problems;
    private final NamedKeyCheck namedKeyCheck;

    KeysReader(Problems problems, NamedKeyCheck namedKeyCheck) {
        this.problems = problems;
        this.namedKeyCheck = namedKeyCheck;
    }

    /** {@code at} is where to point when the whole section is missing (the top of the file). */
    KeySettings read(Node section, String organisation, Node at) {
        YamlMap keys = section == null ? null : YamlMap.of(section, "'keys'", KEYS, problems);
        if (keys == null) {
            if (section == null) {
                problems.warning(at, noEscrow());
            }
            return defaults(organisation, false);
        }
        List<Action.Format> formats = formats(keys);
        Boolean escrow = keys.bool("escrow");
        if (escrow == null && !keys.has("escrow")) {
            problems.warning(keys.node(), noEscrow());
        } else if (Boolean.FALSE.equals(escrow)) {
            problems.warning(keys.value("escrow"), noEscrow());
        }

        String caName = organisation + " Veil CA";
        Period caValidity = KeySettings.DEFAULT_CA_VALIDITY;
        YamlMap ca = keys.map("ca", List.of("name", "validity"));
        if (ca != null) {
            Scalar name = ca.text("name");
            caName = name == null ? caName : name.value();
            caValidity = orDefault(ca.period("validity"), caValidity);
        }

        String smimeAlgorithm = KeySettings.DEFAULT_SMIME_ALGORITHM;
        boolean issue = true;
        YamlMap smime = keys.map("smime", List.of("algorithm", "issue-user-certificates"));
        if (smime != null) {
            requireFormat(keys, "smime", formats, Action.Format.SMIME);
            smimeAlgorithm = algorithm(smime, SMIME_ALGORITHMS, smimeAlgorithm);
            Boolean i = smime.bool("issue-user-certificates");
            issue = i == null ? issue : i;
        }
        String openpgpAlgorithm = KeySettings.DEFAULT_OPENPGP_ALGORITHM;
        boolean webKeyDirectory = false;
        YamlMap openpgp = keys.map("openpgp", List.of("algorithm", "web-key-directory"));
        if (openpgp != null) {
            requireFormat(keys, "openpgp", formats, Action.Format.OPENPGP);
            openpgpAlgorithm = algorithm(openpgp, OPENPGP_ALGORITHMS, openpgpAlgorithm);
            Boolean wkd = openpgp.bool("web-key-directory");
            webKeyDirectory = wkd != null && wkd;
        }

        Period rotation = orDefault(keys.period("rotation"), KeySettings.DEFAULT_ROTATION);
        if (keys.has("rotation") && Durations.longerThan(rotation, TWO_YEARS)) {
            problems.warning(keys.value("rotation"), "rotation period " + keys.text("rotation").value()
                    + " is over two years: a stolen or leaked key stays useful that long — rotate at least every 2y");
        }
        Optional<Period> keepOld = keepOldKeys(keys);
        Map<String, NamedKey> named = named(keys, formats);
        return new KeySettings(escrow != null && escrow, smimeAlgorithm, issue, formats, openpgpAlgorithm, caName,
                caValidity, rotation, keepOld, named, webKeyDirectory);
    }

    static KeySettings defaults(String organisation, boolean escrow) {
        return new KeySettings(escrow, KeySettings.DEFAULT_SMIME_ALGORITHM, true, List.of(Action.Format.SMIME),
                KeySettings.DEFAULT_OPENPGP_ALGORITHM, organisation + " Veil CA", KeySettings.DEFAULT_CA_VALIDITY,
                KeySettings.DEFAULT_ROTATION, Optional.empty(), Map.of());
    }

    private static String noEscrow() {
        return "no escrow key: mail of a user whose key is lost can never be read again — set 'escrow: true' under keys";
    }

    private List<Action.Format> formats(YamlMap keys) {
        List<Scalar> list = keys.textList("formats");
        if (list == null) {
            return List.of(Action.Format.SMIME);
        }
        List<Action.Format> out = new ArrayList<>();
        for (Scalar s : list) {
            String f = YamlMap.oneOf(s, "format", FORMATS, problems);
            if (f == null) {
                continue;
            }
            Action.Format format = format(f);
            if (out.contains(format)) {
                problems.error(s.node(), "format '" + f + "' is listed twice");
            } else {
                out.add(format);
            }
        }
        return out;
    }

    static Action.Format format(String spelled) {
        return spelled.equals("smime") ? Action.Format.SMIME : Action.Format.OPENPGP;
    }

    static String display(Action.Format format) {
        return format == Action.Format.SMIME ? "S/MIME" : "OpenPGP";
    }

    static String spelled(Action.Format format) {
        return format.name().toLowerCase(Locale.ROOT);
    }

    private void requireFormat(YamlMap keys, String key, List<Action.Format> formats, Action.Format format) {
        if (keys.has("formats") && !formats.contains(format)) {
            problems.error(keys.keyNode(key), "'" + key + "' is configured but not in formats — add it to formats or remove this section");
        }
    }

    private String algorithm(YamlMap section, List<String> options, String fallback) {
        String a = YamlMap.oneOf(section.text("algorithm"), "algorithm", options, problems);
        if ("rsa-2048".equals(a)) {
            problems.warning(section.value("algorithm"),
                    "rsa-2048 is too weak for keys that protect stored mail for years — use rsa-3072 or stronger");
        }
        return a == null ? fallback : a;
    }

    private Optional<Period> keepOldKeys(YamlMap keys) {
        Node v = keys.value("keep-old-keys");
        if (v instanceof ScalarNode s && s.getValue().equals("forever")) {
            return Optional.empty();
        }
        if (v instanceof ScalarNode s && Durations.parse(s.getValue()) == null && !s.getTag().equals(Tag.NULL)) {
            problems.error(v, "bad duration '" + s.getValue() + "' for 'keep-old-keys' — write 'forever' or " + Durations.HELP.substring(6));
            return Optional.empty();
        }
        return Optional.ofNullable(keys.period("keep-old-keys"));
    }

    private Map<String, NamedKey> named(YamlMap keys, List<Action.Format> formats) {
        Node section = keys.value("named");
        Map<String, NamedKey> out = new LinkedHashMap<>();
        YamlMap names = section == null ? null : YamlMap.named(section, "'named'", problems);
        if (names == null) {
            return out;
        }
        for (NodeTuple t : names.tuples()) {
            String name = ((ScalarNode) t.getKeyNode()).getValue();
            if (RESERVED_TARGETS.contains(name)) {
                problems.error(t.getKeyNode(), "'" + name + "' is a reserved word in 'to' and cannot name a key");
                continue;
            }
            if (!KEY_NAME.matcher(name).matches()) {
                problems.error(t.getKeyNode(), "bad key name '" + name + "' — use lower-case letters, digits and '-'");
                continue;
            }
            NamedKey key = namedKey(name, t.getValueNode(), formats);
            if (key != null) {
                out.put(name, key);
            }
        }
        return out;
    }

    private NamedKey namedKey(String name, Node node, List<Action.Format> formats) {
        YamlMap m = YamlMap.of(node, "key '" + name + "'", List.of("format", "certificate", "public-key"), problems);
        if (m == null) {
            return null;
        }
        String f = YamlMap.oneOf(m.requiredText("format", "smime or openpgp"), "format", FORMATS, problems);
        if (f == null) {
            return null;
        }
        Action.Format format = format(f);
        if (!formats.contains(format)) {
            problems.error(m.value("format"), "format '" + f + "' is not in keys.formats — add it there");
        }
        String fileKey = format == Action.Format.SMIME ? "certificate" : "public-key";
        String otherKey = format == Action.Format.SMIME ? "public-key" : "certificate";
        if (m.has(otherKey)) {
            problems.error(m.keyNode(otherKey), "an " + display(format) + " key takes '" + fileKey + "', not '" + otherKey + "'");
            return null;
        }
        Scalar file = m.requiredText(fileKey, "the file, relative to the data directory");
        if (file == null) {
            return null;
        }
        NamedKey key = new NamedKey(name, format, file.value());
        // Still returned when its file is bad: rules naming it are right to, and should not get "no key named" too.
        namedKeyCheck.problem(key).ifPresent(problem -> problems.error(file.node(), problem));
        return key;
    }

    private static <T> T orDefault(T value, T fallback) {
        return value == null ? fallback : value;
    }
}
