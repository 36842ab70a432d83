package dev.veil.gateway.correspondents;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BounceRecipientsTest {
    private static final String ALIAS = "c-abcdefghijklmnopqrst@alias.example.net";
    private static final String NOTE = "(the rest of the reason is left out: it can name a correspondent)";
    /** What a server that saw okerin in the transaction can write in another recipient's reason. */
    private static final String NAMES_OKERIN = "550 5.7.1 rejected, transaction also for okerin%40partner.example"
            + " user=okerin host mx.partner.example [192.0.2.77] b2tlcmluQHBhcnRuZXIuZXhhbXBsZQ==";

    @TempDir
    Path dir;

    /** ALIAS stands for okerin@partner.example; the directory knows no other. */
    private final Reidentifier aliases = new Reidentifier() {
        @Override
        public boolean isAliasAddress(String address) {
            return address.endsWith("@alias.example.net");
        }

        @Override
        public Optional<String> realAddress(String aliasAddress) {
            return aliasAddress.equalsIgnoreCase(ALIAS) ? Optional.of("okerin@partner.example") : Optional.empty();
        }

        @Override
        public Optional<String> realMessageId(String id) {
            return Optional.empty();
        }

        @Override
        public Optional<String> aliasOf(String realAddress) {
            return realAddress.equalsIgnoreCase("okerin@partner.example") ? Optional.of(ALIAS) : Optional.empty();
        }
    };

    private Path original(String to) throws Exception {
        return Files.writeString(dir.resolve("m.eml"), "From: alice@example.com\r\nTo: " + to
                + "\r\nSubject: x\r\n\r\nbody\r\n");
    }

    @Test
    void anAliasedRecipientIsNamedByItsAliasWithOnlyTheCodesOfItsReason() throws Exception {
        Map<String, String> named = BounceRecipients.asAddressed(original(ALIAS), List.of("okerin@partner.example"),
                Map.of("okerin@partner.example", "550 5.1.1 <okerin@partner.example>: user okerin unknown"), aliases);

        assertThat(named).containsExactly(Map.entry(ALIAS, "550 5.1.1 " + NOTE));
    }

    /**
     * The message went to a correspondent (here delivered): another recipient's reason, written by a server that saw
     * the whole transaction, can name them in any spelling, so it keeps only its codes too.
     */
    @Test
    void whenTheMessageWentToACorrespondentEveryReasonKeepsOnlyItsCodes() throws Exception {
        Map<String, String> named = BounceRecipients.asAddressed(original("Carol <carol@other.example>, " + ALIAS),
                List.of("okerin@partner.example", "carol@other.example"),
                Map.of("carol@other.example", NAMES_OKERIN), aliases);

        assertThat(named).containsExactly(Map.entry("carol@other.example", "550 5.7.1 " + NOTE));
    }

    /** The same for a correspondent the header does not name (a Bcc): the directory knows its alias. */
    @Test
    void aCorrespondentOnlyInTheEnvelopeCountsToo() throws Exception {
        Map<String, String> failures = new LinkedHashMap<>();
        failures.put("carol@other.example", NAMES_OKERIN);
        failures.put("dave@other.example", "452 4.2.2 mailbox full (okerin=partner.example)");

        Map<String, String> named = BounceRecipients.asAddressed(original("carol@other.example"),
                List.of("carol@other.example", "okerin@partner.example", "dave@other.example"), failures, aliases);

        assertThat(named).containsExactly(Map.entry("carol@other.example", "550 5.7.1 " + NOTE),
                Map.entry("dave@other.example", "452 4.2.2 " + NOTE));
    }

    @Test
    void mailToNoCorrespondentKeepsItsReasonsInFull() throws Exception {
        Map<String, String> failures = Map.of("carol@other.example", "550 5.1.1 <carol@other.example>: user unknown");

        assertThat(BounceRecipients.asAddressed(original("carol@other.example, dave@other.example"),
                List.of("carol@other.example", "dave@other.example"), failures, aliases)).isEqualTo(failures);
    }

    @Test
    void anAliasedRecipientsReasonKeepsOnlyItsCodes() {
        assertThat(BounceRecipients.codesOnly("550 5.1.1 <bob.zqx%40partner.example>: user=bob.zqx, host"
                + " mx1.partner.example [192.0.2.44]")).isEqualTo("550 5.1.1 " + NOTE);
        assertThat(BounceRecipients.codesOnly("550-5.7.1 bob[dot]zqx@partner[dot]example")).isEqualTo("550 5.7.1 " + NOTE);
        assertThat(BounceRecipients.codesOnly("554 mailbox bob.zqx_at_partner_example")).isEqualTo("554 " + NOTE);
        assertThat(BounceRecipients.codesOnly("4.4.7 gave up after 5 days: mx.partner.example did not answer"))
                .isEqualTo("4.4.7 " + NOTE);
        assertThat(BounceRecipients.codesOnly("cannot resolve mx.partner.example")).isEqualTo(NOTE);
        assertThat(BounceRecipients.codesOnly(null)).isEqualTo(NOTE);
    }
}
