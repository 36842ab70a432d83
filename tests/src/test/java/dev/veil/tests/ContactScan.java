package dev.veil.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.tests.support.GraphStandIn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Everything the Graph stand-in holds, for plain string search: the string values of its stored contact JSON, one per
 * line (keys left out), then every stored photo, as its raw bytes (one char per byte, ISO-8859-1) and in base64.
 */
final class ContactScan {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ContactScan() {
    }

    static String values(GraphStandIn graph) {
        StringBuilder out = new StringBuilder(values(graph.storedJson()));
        for (byte[] photo : graph.storedPhotos()) {
            forms(photo).forEach(f -> out.append(f).append('\n'));
        }
        return out.toString();
    }

    /** The forms in which a photo's bytes could appear in what {@link #values(GraphStandIn)} returns. */
    static List<String> forms(byte[] photo) {
        return List.of(new String(photo, StandardCharsets.ISO_8859_1), Base64.getEncoder().encodeToString(photo),
                Base64.getUrlEncoder().withoutPadding().encodeToString(photo));
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
