package dev.veil.tests.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeSet;

/** The tests' comparison of Graph contacts as JSON, field by field. */
public final class GraphJson {
    private GraphJson() {
    }

    /**
     * A copy of the contact without the named top-level fields and without Graph's "not set" values ({@code null},
     * {@code ""}, {@code []}, {@code {}}) at any depth: Graph writes "not set" in all four ways.
     */
    public static ObjectNode meaningful(ObjectNode contact, Collection<String> dropFields) {
        ObjectNode copy = contact.deepCopy();
        dropFields.forEach(copy::remove);
        prune(copy);
        return copy;
    }

    /** The field names of either contact, sorted. */
    public static TreeSet<String> fieldNames(ObjectNode a, ObjectNode b) {
        TreeSet<String> names = new TreeSet<>();
        a.fieldNames().forEachRemaining(names::add);
        b.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static void prune(JsonNode node) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> f = it.next();
                prune(f.getValue());
                JsonNode v = f.getValue();
                if (v.isNull() || (v.isTextual() && v.asText().isEmpty()) || (v.isContainerNode() && v.isEmpty())) {
                    it.remove();
                }
            }
        } else if (node.isArray()) {
            node.forEach(GraphJson::prune);
        }
    }
}
