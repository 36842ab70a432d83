package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PasswordHashTest {

    @Test
    void aHashMatchesItsPasswordAndNoOther() {
        String phc = PasswordHash.hash("correct horse battery".toCharArray());

        assertThat(phc).matches("\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
        assertThat(PasswordHash.parse(phc).matches("correct horse battery".toCharArray())).isTrue();
        assertThat(PasswordHash.parse(phc).matches("correct horse batterY".toCharArray())).isFalse();
        assertThat(PasswordHash.parse(phc).matches("".toCharArray())).isFalse();
    }

    @Test
    void twoHashesOfOnePasswordDifferBecauseOfTheSalt() {
        assertThat(PasswordHash.hash("pw".toCharArray())).isNotEqualTo(PasswordHash.hash("pw".toCharArray()));
    }

    /** RFC 9106-compatible output, checked against the reference implementation's PHC string for these inputs. */
    @Test
    void readsHashesOtherToolsWroteWithTheirOwnParameters() {
        // argon2 CLI: echo -n password | argon2 somesalt -id -t 2 -k 65536 -p 1 -l 32 -e
        String reference = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";

        assertThat(PasswordHash.parse(reference).matches("password".toCharArray())).isTrue();
        assertThat(PasswordHash.parse(reference).matches("Password".toCharArray())).isFalse();
    }

    @Test
    void somethingThatIsNotAnArgon2idHashIsRefusedWithAHint() {
        assertThatThrownBy(() -> PasswordHash.parse("secret")).hasMessageContaining("veil hash-password");
        assertThatThrownBy(() -> PasswordHash.parse("$2y$10$abcdefghijklmnopqrstuv")).hasMessageContaining("Argon2id");
        assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"))
                .hasMessageContaining("out of range");
    }
}
