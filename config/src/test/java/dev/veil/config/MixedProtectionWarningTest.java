package dev.veil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Rules apply per recipient: found by a black-box probe, a message to {@code ceo@} (encrypted) and {@code joe@}
 * (passed) reached Exchange readable through joe's copy, which names the CEO too. The check warns about rules whose
 * recipients may share a message and are protected differently.
 */
class MixedProtectionWarningTest {
    private static final String HEAD = """
            version: 1
            organisation: Example Ltd
            domains: [example.com]
            keys:
              escrow: true
            rules:
            """;

    private static List<Problem> warnings(String rules) {
        PolicyLoad load = PolicyLoader.parse("p.yml", HEAD + rules);
        assertThat(load.hasErrors()).as(load.problems().toString()).isFalse();
        return load.problems();
    }

    @Test
    void aRecipientWhoseRulePassesWhatAnothersEncryptsIsWarnedAbout() {
        List<Problem> problems = warnings("""
                  - name: ceo
                    match:
                      recipient: ceo@example.com
                    encrypt:
                      format: smime
                      to: [recipient, escrow]
                  - name: rest
                    match:
                      recipient: "*@example.com"
                    pass:
                      reason: ordinary mail
                """);
        assertThat(problems).singleElement().satisfies(p -> {
            assertThat(p.severity()).isEqualTo(Problem.Severity.WARNING);
            assertThat(p.line()).as("on the less protective rule").isEqualTo(13);
            assertThat(p.message()).startsWith("rule 'ceo' (line 7) encrypts but rule 'rest' does not");
        });
    }

    @Test
    void aRecipientWhoseRuleDoesNotPseudonymiseIsWarnedAbout() {
        List<Problem> problems = warnings("""
                  - name: board
                    match:
                      recipient: board@example.com
                    encrypt:
                      format: smime
                      to: [recipient, escrow]
                    pseudonymise:
                      alias-domain: alias.example.net
                  - name: rest
                    match:
                      recipient: "*@example.com"
                    encrypt:
                      format: smime
                      to: [recipient, escrow]
                """);
        assertThat(problems).singleElement().extracting(Problem::message).asString()
                .startsWith("rule 'board' (line 7) pseudonymises correspondents but rule 'rest' does not");
    }

    @Test
    void rulesThatProtectAlikeOrThatDoNotTellRecipientsApartAreNot() {
        assertThat(warnings("""
                  - name: ceo
                    match:
                      recipient: ceo@example.com
                    encrypt:
                      format: smime
                      to: [recipient, escrow]
                      subject: "[board]"
                  - name: rest
                    match:
                      recipient: "*@example.com"
                    encrypt:
                      format: smime
                      to: [recipient, escrow]
                """)).isEmpty();
        // by sender: every recipient of one message gets the same rule
        assertThat(warnings("""
                  - name: newsletter
                    match:
                      sender: news@vendor.example
                    pass:
                      reason: public anyway
                  - name: everyone
                    match:
                      direction: inbound
                    encrypt:
                      format: smime
                      to: [recipient, escrow]
                """)).isEmpty();
        // outbound copies leave for the internet, not for Exchange
        assertThat(warnings("""
                  - name: partner
                    match:
                      recipient: "*@partner.example"
                      direction: outbound
                    encrypt:
                      format: smime
                      to: [recipient]
                  - name: inbound
                    match:
                      recipient: "*@example.com"
                      direction: inbound
                    encrypt:
                      format: smime
                      to: [recipient, escrow]
                  - name: others
                    match:
                      direction: outbound
                    pass:
                      reason: leaves as written
                """)).isEmpty();
    }
}
