package dev.veil.config;

import org.yaml.snakeyaml.nodes.Node;

/**
 * A rule's name, place and match: all the shadowing check needs. Read even when the rest of the rule has errors, so a
 * shadowed rule is reported in the same pass as a mistake in the rule that shadows it.
 */
record RuleHead(String name, int line, Match match, Node node) {

    /** As a rule for {@link CompiledRule}; the action plays no part in shadowing (and may not have been read). */
    Rule asRule() {
        return new Rule(name, line, match, null);
    }
}
