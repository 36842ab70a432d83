package dev.veil.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One YAML mapping read strictly: unknown and duplicate keys are errors, every value has exactly the type its key
 * wants, and every complaint points at the node it is about. Getters return null after reporting a problem, so the
 * reader goes on and finds the next one.
 */
final class YamlMap {
    private final MappingNode node;
    private final Problems problems;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
    // Keys an unknown key was probably meant to be, with that unknown key's entry: their absence is already explained,
    // so it is not reported again, and the entry can still be checked as what it was meant to be.
    private final Map<String, NodeTuple> misspelt = new java.util.HashMap<>();

    private YamlMap(MappingNode node, List<String> allowed, Problems problems) {
        this.node = node;
        this.problems = problems;
        for (NodeTuple t : node.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k) || k.getTag().equals(Tag.NULL)) {
                problems.error(t.getKeyNode(), "a key must be a plain word");
                continue;
            }
            String key = k.getValue();
            NodeTuple first = entries.get(key);
            if (first != null) {
                problems.error(k, "duplicate key '" + key + "' — already set on line " + line(first.getKeyNode()));
            } else if (allowed != null && !allowed.contains(key)) {
                problems.error(k, "unknown key '" + key + "'" + Suggest.hint(key, allowed));
                Suggest.closest(key, allowed).ifPresent(meant -> misspelt.putIfAbsent(meant, t));
            } else {
                entries.put(key, t);
            }
        }
    }

    /** A mapping whose keys are names the admin chooses (only duplicates are errors), or null (reported). */
    static YamlMap named(Node node, String what, Problems problems) {
        if (node instanceof MappingNode m) {
            return new YamlMap(m, null, problems);
        }
        problems.error(node, what + " must be a mapping of names, not " + kind(node));
        return null;
    }

    /** The mapping at {@code node}, or null (reported) when it is something else. */
    static YamlMap of(Node node, String what, List<String> allowed, Problems problems) {
        if (node instanceof MappingNode m) {
            return new YamlMap(m, allowed, problems);
        }
        problems.error(node, what + " must be a mapping of " + String.join(", ", allowed) + ", not " + kind(node));
        return null;
    }

    Node node() {
        return node;
    }

    /** True when an unknown key in this mapping was reported as a misspelling of {@code key}. */
    boolean misspelt(String key) {
        return misspelt.containsKey(key);
    }

    /**
     * The value of the unknown key reported as a misspelling of {@code key}, or null: a reader checks it as {@code key}
     * so the mistakes inside are reported in the same pass as the misspelling, not after it is fixed.
     */
    Node misspeltValue(String key) {
        NodeTuple t = has(key) ? null : misspelt.get(key);
        return t == null ? null : t.getValueNode();
    }

    /** The unknown key reported as a misspelling of {@code key} (see {@link #misspeltValue}), or null. */
    Node misspeltKey(String key) {
        NodeTuple t = has(key) ? null : misspelt.get(key);
        return t == null ? null : t.getKeyNode();
    }

    boolean has(String key) {
        return entries.containsKey(key);
    }

    Node value(String key) {
        NodeTuple t = entries.get(key);
        return t == null ? null : t.getValueNode();
    }

    Node keyNode(String key) {
        return entries.get(key).getKeyNode();
    }

    /** Where to point when something in this mapping is missing or wrong as a whole: its key, if it has one. */
    void missing(String key, String hint) {
        if (misspelt.containsKey(key)) {
            return;
        }
        problems.error(node, "missing '" + key + "'" + (hint.isEmpty() ? "" : " — " + hint));
    }

    Scalar text(String key) {
        Node v = value(key);
        return v == null ? null : text("'" + key + "'", v, problems);
    }

    Scalar requiredText(String key, String hint) {
        if (!has(key)) {
            missing(key, hint);
            return null;
        }
        return text(key);
    }

    /** {@code label} names the value in messages: {@code 'organisation'} or {@code an entry of 'to'}. */
    static Scalar text(String label, Node v, Problems problems) {
        if (v instanceof ScalarNode s) {
            if (s.getTag().equals(Tag.NULL)) {
                problems.error(v, label + " is empty");
                return null;
            }
            if (s.getTag().equals(Tag.BOOL)) {
                problems.error(v, label + " must be text, not " + s.getValue() + " — quote it if you mean the word");
                return null;
            }
            return new Scalar(s.getValue(), v);
        }
        problems.error(v, label + " must be text, not " + kind(v));
        return null;
    }

    Boolean bool(String key) {
        Node v = value(key);
        if (v == null) {
            return null;
        }
        if (v instanceof ScalarNode s && s.getTag().equals(Tag.BOOL)) {
            String b = s.getValue().toLowerCase(java.util.Locale.ROOT);
            return b.equals("true") || b.equals("yes") || b.equals("on");
        }
        problems.error(v, "'" + key + "' must be true or false, not " + describe(v));
        return null;
    }

    Integer integer(String key) {
        Node v = value(key);
        if (v == null) {
            return null;
        }
        if (v instanceof ScalarNode s && s.getTag().equals(Tag.INT)) {
            try {
                return Integer.valueOf(s.getValue().replace("_", ""));
            } catch (NumberFormatException e) {
                // falls through to the report: an int tag that Java cannot hold (hex, huge) is not a version
            }
        }
        problems.error(v, "'" + key + "' must be a whole number, not " + describe(v));
        return null;
    }

    YamlMap map(String key, List<String> allowed) {
        Node v = value(key);
        return v == null ? null : of(v, "'" + key + "'", allowed, problems);
    }

    /** A list of text; a single text value counts as a list of one, so {@code recipient: x} and {@code [x]} both work. */
    List<Scalar> textList(String key) {
        Node v = value(key);
        if (v == null) {
            return null;
        }
        List<Scalar> out = new ArrayList<>();
        if (v instanceof SequenceNode seq) {
            if (seq.getValue().isEmpty()) {
                problems.error(v, "'" + key + "' is an empty list");
                return null;
            }
            for (Node item : seq.getValue()) {
                Scalar s = text("an entry of '" + key + "'", item, problems);
                if (s != null) {
                    out.add(s);
                }
            }
            return out;
        }
        if (v instanceof MappingNode) {
            problems.error(v, "'" + key + "' must be a list (or a single value), not a mapping");
            return null;
        }
        Scalar s = text("'" + key + "'", v, problems);
        return s == null ? null : List.of(s);
    }

    /** The entries, for sections whose keys are names chosen by the admin (like {@code keys.named}). */
    List<NodeTuple> tuples() {
        return List.copyOf(entries.values());
    }

    static String kind(Node n) {
        if (n instanceof MappingNode) {
            return "a mapping";
        }
        if (n instanceof SequenceNode) {
            return "a list";
        }
        return "'" + ((ScalarNode) n).getValue() + "'";
    }

    private static String describe(Node n) {
        if (n instanceof ScalarNode s && s.getTag().equals(Tag.NULL)) {
            return "empty";
        }
        return kind(n);
    }

    static int line(Node n) {
        return n.getStartMark().getLine() + 1;
    }

    /** The value if it is one of {@code options} (exact spelling), else null with "unknown WHAT 'x' — did you mean …". */
    static String oneOf(Scalar s, String what, List<String> options, Problems problems) {
        if (s == null) {
            return null;
        }
        if (options.contains(s.value())) {
            return s.value();
        }
        problems.error(s.node(), "unknown " + what + " '" + s.value() + "'" + Suggest.hint(s.value(), options));
        return null;
    }

    /** A duration value ({@link Durations}), or null (reported). */
    java.time.Period period(String key) {
        Scalar s = text(key);
        if (s == null) {
            return null;
        }
        java.time.Period p = Durations.parse(s.value());
        if (p == null) {
            problems.error(s.node(), "bad duration '" + s.value() + "' for '" + key + "' — " + Durations.HELP);
        } else if (p.isZero()) {
            problems.error(s.node(), "'" + key + "' must be longer than zero");
            return null;
        }
        return p;
    }
}
