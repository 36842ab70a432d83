package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.gateway.graph.ContactMapping;
import dev.veil.tests.support.Corpus;
import ezvcard.VCard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Graph contact in the corpus ({@code contacts/graph-*.json}: single contacts, list pages, a create request
 * body, v1.0 and beta) goes JSON -> vCard -> JSON and comes back equal field by field. Graph's "not set" forms
 * ({@code null}, {@code ""}, {@code []}, {@code {}}) count as absent, and {@code @odata.context} (the response's, not
 * the contact's) is not compared; CONTACTS.md documents both.
 */
class GraphContactCorpusTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyCorpusContactSurvivesJsonToVCardToJson() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(Corpus.root().resolve("contacts"))) {
            files = s.filter(p -> p.getFileName().toString().matches("graph-.*\\.json")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(5);
        int contacts = 0;
        for (Path file : files) {
            JsonNode root = JSON.readTree(file.toFile());
            ContactMapping mapping = new ContactMapping(file.getFileName().toString().startsWith("graph-beta-")
                    ? ContactMapping.Dialect.BETA : ContactMapping.Dialect.V1);
            List<ObjectNode> found = new ArrayList<>();
            if (root.has("value")) {
                root.get("value").forEach(c -> found.add((ObjectNode) c));
            } else {
                found.add((ObjectNode) root);
            }
            for (ObjectNode original : found) {
                VCard card = mapping.toVCard(original);
                // every field of the corpus has its own documented property, none needs the catch-all
                assertThat(card.getExtendedProperties("X-MS-GRAPH-FIELD")).as(file.getFileName() + " unmapped fields")
                        .isEmpty();
                ObjectNode back = mapping.toJson(card);
                ObjectNode expected = meaningful(original);
                ObjectNode actual = meaningful(back);
                for (String field : new TreeSet<>(union(expected, actual))) {
                    assertThat(actual.get(field)).as(file.getFileName() + " field " + field).isEqualTo(expected.get(field));
                }
                contacts++;
            }
        }
        assertThat(contacts).isEqualTo(6);
    }

    private static List<String> union(ObjectNode a, ObjectNode b) {
        List<String> names = new ArrayList<>();
        a.fieldNames().forEachRemaining(names::add);
        b.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The contact without Graph's "not set" values (at any depth) and without the response's @odata.context. */
    private static ObjectNode meaningful(ObjectNode contact) {
        ObjectNode copy = contact.deepCopy();
        copy.remove("@odata.context");
        prune(copy);
        return copy;
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
            node.forEach(GraphContactCorpusTest::prune);
        }
    }
}
