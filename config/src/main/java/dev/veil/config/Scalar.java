package dev.veil.config;

import org.yaml.snakeyaml.nodes.Node;

/** A text value with the node it came from, so later checks can point at it. */
record Scalar(String value, Node node) {
}
