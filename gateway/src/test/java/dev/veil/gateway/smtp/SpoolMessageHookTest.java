package dev.veil.gateway.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SpoolMessageHookTest {

    @Test
    void inboundEveryMailboxOnceWhateverItsCase() {
        assertThat(SpoolMessageHook.onceEach(List.of("alice@example.com", "ALICE@Example.COM", "bob@example.com",
                "alice@EXAMPLE.com"), true)).containsExactly("alice@example.com", "bob@example.com");
    }

    @Test
    void outboundLocalPartsThatDifferInCaseStayApartButDomainsDoNot() {
        assertThat(SpoolMessageHook.onceEach(List.of("Bob@partner.example", "bob@partner.example",
                "bob@PARTNER.example", "Bob@partner.example"), false))
                .containsExactly("Bob@partner.example", "bob@partner.example");
    }
}
