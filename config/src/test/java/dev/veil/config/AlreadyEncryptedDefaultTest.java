package dev.veil.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What a rule does with mail that is already encrypted when it does not say: pass it on, unless the rule pseudonymises
 * correspondents, whose names what the sender wrote outside the ciphertext can give away; then encrypt it again.
 */
class AlreadyEncryptedDefaultTest {
    private static final String HEAD = """
            version: 1
            organisation: Example Ltd
            domains: [example.com]
            keys:
              escrow: true
            rules:
              - name: everyone
                match:
                  recipient: example.com
                encrypt:
                  format: smime
                  to: [recipient, escrow]
            """;

    private static Action.AlreadyEncrypted alreadyEncrypted(String yaml) {
        PolicyLoad load = PolicyLoader.parse("policy.yml", yaml);
        assertThat(load.hasErrors()).as("%s", load.problems()).isFalse();
        Rule rule = load.policy().orElseThrow().rules().get(0);
        return ((Action.Encrypt) rule.action()).alreadyEncrypted();
    }

    @Test
    void passUnlessTheRulePseudonymisesCorrespondents() {
        assertThat(alreadyEncrypted(HEAD)).isEqualTo(Action.AlreadyEncrypted.PASS);
        assertThat(alreadyEncrypted(HEAD + "    pseudonymise:\n      alias-domain: alias.example.net\n"))
                .isEqualTo(Action.AlreadyEncrypted.ENCRYPT);
        assertThat(alreadyEncrypted(HEAD + "    pseudonymise:\n      correspondents: false\n"))
                .isEqualTo(Action.AlreadyEncrypted.PASS);
        assertThat(alreadyEncrypted(HEAD + "      already-encrypted: pass\n"
                + "    pseudonymise:\n      alias-domain: alias.example.net\n"))
                .as("said in the rule (with a warning)").isEqualTo(Action.AlreadyEncrypted.PASS);
    }
}
