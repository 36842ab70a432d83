package dev.veil.gateway.graph;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * What a delta round gave: contacts added or changed since the last round, ids of removed ones ({@code @removed}),
 * and the {@code @odata.deltaLink} to start the next round from.
 */
public record DeltaPage(List<ObjectNode> changed, List<String> removed, String deltaLink) {
}
