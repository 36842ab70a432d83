package dev.veil.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** The string values of stored Graph JSON, one per line, for plain string search (keys left out). */
final class ContactScan {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ContactScan() {
    }

    static String values(List<String> storedJson) {
        StringBuilder out = new StringBuilder();
        for (String json : storedJson) {
            try {
                collect(JSON.readTree(json), out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out.toString();
    }

    private static void collect(JsonNode node, StringBuilder out) {
        if (node.isValueNode()) {
            out.append(node.asText()).append('\n');
        } else {
            node.forEach(child -> collect(child, out));
        }
    }
}
