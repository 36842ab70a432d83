package dev.veil.config;

import org.yaml.snakeyaml.nodes.Node;

/** A rule as read, with the node it came from so cross-rule checks (shadowing) can point at it. */
record RuleSite(Rule rule, Node node) {
}
