package dev.veil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * POLICY.md promises that one load reports every problem: a mistake inside a rule (even inside a misspelt block) does
 * not hide the next one, nor a rule that the broken one shadows.
 */
class EveryProblemAtOnceTest {

    @Test
    void theExampleInPolicyMdIsWhatTheLoaderPrints() throws Exception {
        List<String> documented = documentedExample();

        PolicyLoad load = PolicyLoader.load(resource("policy.yml"));

        assertThat(documented).hasSize(3);
        assertThat(load.problems().stream().map(Problem::format).toList()).containsExactlyElementsOf(documented);
        assertThat(load.policy()).isEmpty();
    }

    @Test
    void aMistakeInsideAMisspeltBlockAndTheRuleItShadowsAreReportedWithTheMisspelling() throws Exception {
        PolicyLoad load = PolicyLoader.load(resource("nested.yml"));

        assertThat(load.problems().stream().map(Problem::format).toList()).containsExactly(
                "nested.yml:14:5: error: unknown key 'encrpyt' — did you mean 'encrypt'?",
                "nested.yml:16:23: error: no key named 'archve' — did you mean 'archive'?",
                "nested.yml:17:5: error: rule 'legal' can never match: rule 'everyone' (line 11) comes first and"
                        + " matches everything it does — move 'legal' above it or narrow 'everyone'");
    }

    @Test
    void aMisspeltMatchIsCheckedButNotGuessedAtForShadowing() {
        PolicyLoad load = PolicyLoader.parse("t.yml", """
                version: 1
                organisation: Example Ltd
                domains: [example.com]
                keys: {escrow: true}
                rules:
                  - name: ceo
                    mach: {recipient: "ceo@@example.com"}
                    encrypt: {format: smime, to: [recipient, escrow]}
                  - name: everyone
                    encrypt: {format: smime, to: [recipient, escrow]}
                """);

        assertThat(load.problems().stream().map(Problem::format).toList()).containsExactly(
                "t.yml:7:5: error: unknown key 'mach' — did you mean 'match'?",
                "t.yml:7:23: error: " + invalid("ceo@@example.com"));
    }

    private static String invalid(String pattern) {
        try {
            AddressPattern.parse(pattern);
            throw new AssertionError(pattern + " parses");
        } catch (AddressPattern.Invalid e) {
            return e.getMessage();
        }
    }

    /** The lines of the first code block after "Every problem is reported at once" in POLICY.md. */
    private static List<String> documentedExample() throws Exception {
        String doc = Files.readString(Path.of("POLICY.md"), StandardCharsets.UTF_8);
        String after = doc.substring(doc.indexOf("Every problem is reported at once"));
        int start = after.indexOf("```\n") + 4;
        return after.substring(start, after.indexOf("```", start)).lines().filter(l -> !l.isBlank()).toList();
    }

    private static Path resource(String name) throws Exception {
        return Path.of(EveryProblemAtOnceTest.class.getResource("/policy-md/" + name).toURI());
    }
}
