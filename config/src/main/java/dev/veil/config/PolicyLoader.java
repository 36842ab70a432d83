package dev.veil.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads and validates key policy files.
 *
 * <p>The file is composed into SnakeYAML nodes (the parser under Jackson's YAML module) rather than bound to classes:
 * nodes keep the exact line and column of every key and value, which is what "FILE:LINE:COLUMN" errors need, and
 * reading them by hand lets one pass report every problem instead of stopping at the first.
 */
public final class PolicyLoader {
    private static final String EXAMPLE = "policy-example.yml";

    private PolicyLoader() {
    }

    /** The largest policy file read: the same bound as the YAML reader's limit on what it parses. */
    static final int MAX_BYTES = 4 * 1024 * 1024;

    /** Loads a file; never throws for bad content — every problem is reported with its location. */
    public static PolicyLoad load(Path file) {
        return load(file, NamedKeyCheck.NONE);
    }

    /** As {@link #load(Path)}, and the file of every named key must pass {@code namedKeys} (an error where it is named). */
    public static PolicyLoad load(Path file, NamedKeyCheck namedKeys) {
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        byte[] bytes;
        try (java.io.InputStream in = Files.newInputStream(file)) {
            // read no more than the limit allows: a 51 MB file, comments and all, was read whole and decoded before
            // any check, and a reload under a small heap ended in OutOfMemoryError (found by a black-box probe)
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            return failed(name, "cannot read the policy file: " + e);
        }
        if (bytes.length > MAX_BYTES) {
            return failed(name, "the policy file is larger than " + MAX_BYTES / (1024 * 1024) + " MiB; a policy is"
                    + " a few kilobytes, even with thousands of rules");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return failed(name, "the policy file is not UTF-8 text — save it as UTF-8");
        }
        return parse(name, text, sha256(bytes), namedKeys);
    }

    /** Loads YAML text; {@code fileName} is used in problem locations. The hash is of the text's UTF-8 bytes. */
    public static PolicyLoad parse(String fileName, String yaml) {
        return parse(fileName, yaml, NamedKeyCheck.NONE);
    }

    /** As {@link #parse(String, String)}, checking named keys' files with {@code namedKeys}. */
    public static PolicyLoad parse(String fileName, String yaml, NamedKeyCheck namedKeys) {
        return parse(fileName, yaml, sha256(yaml.getBytes(StandardCharsets.UTF_8)), namedKeys);
    }

    private static PolicyLoad parse(String fileName, String yaml, String hash, NamedKeyCheck namedKeys) {
        Problems problems = new Problems(fileName);
        String text = yaml.startsWith("\uFEFF") ? yaml.substring(1) : yaml;
        Node root;
        try {
            root = compose(text);
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            problems.error(m, syntax(e));
            return new PolicyLoad(Optional.empty(), problems.sorted());
        } catch (org.yaml.snakeyaml.reader.ReaderException e) {
            // a character YAML does not allow (a NUL byte, say): where it is, not 1:1 (a black-box probe)
            int at = Math.max(0, Math.min(e.getPosition(), text.length()));
            String before = text.substring(0, at);
            int line = (int) before.chars().filter(c -> c == '\n').count() + 1;
            problems.errorAt(line, at - before.lastIndexOf('\n'), "YAML: " + e.getMessage());
            return new PolicyLoad(Optional.empty(), problems.sorted());
        } catch (YAMLException e) {
            problems.errorAt(1, 1, "YAML: " + e.getMessage());
            return new PolicyLoad(Optional.empty(), problems.sorted());
        }
        if (root == null) {
            problems.errorAt(1, 1, "the policy file is empty — it needs version, organisation, domains and rules");
            return new PolicyLoad(Optional.empty(), problems.sorted());
        }
        refuseTags(root, problems, Collections.newSetFromMap(new IdentityHashMap<>()));
        Policy policy = new PolicyReader(problems, namedKeys).read(root, fileName, hash);
        return new PolicyLoad(Optional.ofNullable(policy), problems.sorted());
    }

    /** The fully commented example policy written to {@code veil-data/policy.yml} on first start. */
    public static String exampleYaml() {
        try (InputStream in = PolicyLoader.class.getResourceAsStream(EXAMPLE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + EXAMPLE + " in veil-config");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // Duplicate keys are allowed here only so PolicyReader can report them with both locations.
    private static Node compose(String text) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(true);
        options.setMaxAliasesForCollections(20);
        options.setCodePointLimit(MAX_BYTES);
        return new Yaml(options).compose(new StringReader(text));
    }

    /**
     * A tag other than YAML's own ({@code !!str}, {@code !!int}, ...) means something only to a program that defines it:
     * {@code action: !custom encrypt} was read as if the tag were not there (found by a black-box probe). Refused where
     * it stands, so that what an admin meant by it is not guessed.
     */
    private static void refuseTags(Node node, Problems problems, Set<Node> seen) {
        if (!seen.add(node)) {
            return; // an alias of a node already checked
        }
        String tag = node.getTag().getValue();
        if (!tag.startsWith(Tag.PREFIX)) {
            problems.error(node, "the tag " + (tag.startsWith("!") ? tag : "!<" + tag + ">")
                    + " means nothing in a policy file — remove it");
        }
        if (node instanceof MappingNode mapping) {
            for (NodeTuple tuple : mapping.getValue()) {
                refuseTags(tuple.getKeyNode(), problems, seen);
                refuseTags(tuple.getValueNode(), problems, seen);
            }
        } else if (node instanceof SequenceNode sequence) {
            for (Node item : sequence.getValue()) {
                refuseTags(item, problems, seen);
            }
        }
    }

    private static String syntax(MarkedYAMLException e) {
        String problem = e.getProblem() == null ? "malformed YAML" : e.getProblem();
        StringBuilder s = new StringBuilder("YAML syntax: ").append(problem);
        if (e.getContext() != null && e.getContextMark() != null && e.getProblemMark() != null
                && e.getContextMark().getLine() != e.getProblemMark().getLine()) {
            s.append(" (").append(e.getContext()).append(" on line ").append(e.getContextMark().getLine() + 1).append(')');
        }
        if (problem.contains("'\\t'")) {
            s.append(" — indent with spaces, not tabs");
        }
        return s.toString();
    }

    private static PolicyLoad failed(String name, String message) {
        return new PolicyLoad(Optional.empty(), List.of(new Problem(Problem.Severity.ERROR, name, 1, 1, message)));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
