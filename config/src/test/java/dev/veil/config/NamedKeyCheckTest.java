package dev.veil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A named key whose file is bad is an error where the file is named, reported with the file's other problems. */
class NamedKeyCheckTest {
    private static final String POLICY = """
            version: 1
            organisation: Example Ltd
            domains: [example.com]
            keys:
              escrow: true
              named:
                archive:
                  format: smime
                  certificate: keys/archive.pem
            rules:
              - name: everyone
                match: {recipient: example.com}
                encrypt: {format: smime, to: [recipient, archive]}
            """;

    @Test
    void theChecksComplaintIsAnErrorAtTheFileEntry() {
        List<NamedKey> checked = new ArrayList<>();
        PolicyLoad load = PolicyLoader.parse("policy.yml", POLICY, key -> {
            checked.add(key);
            return Optional.of("named key 'archive': keys/archive.pem does not exist");
        });

        assertThat(checked).containsExactly(new NamedKey("archive", Action.Format.SMIME, "keys/archive.pem"));
        assertThat(load.problems().stream().map(Problem::format)).containsExactly(
                "policy.yml:9:20: error: named key 'archive': keys/archive.pem does not exist");
        assertThat(load.policy()).isEmpty();
    }

    @Test
    void aKeyThatPassesLoadsAndWithoutACheckNothingIsRead() {
        assertThat(PolicyLoader.parse("policy.yml", POLICY, key -> Optional.empty()).policy()).isPresent();
        assertThat(PolicyLoader.parse("policy.yml", POLICY).policy()).isPresent();
    }
}
