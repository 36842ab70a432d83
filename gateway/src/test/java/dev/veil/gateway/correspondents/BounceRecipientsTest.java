package dev.veil.gateway.correspondents;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BounceRecipientsTest {
    private static final String ALIAS = "c-abcdefghijklmnopqrst@alias.example.net";

    @Test
    void theRemoteTextNamesNeitherTheAddressNorItsParts() {
        String text = BounceRecipients.withoutRealParts("550 5.1.1 <Bob.Smith@Partner.Example>: user bob.smith unknown"
                + " at mx.partner.example (bob.smith.", "bob.smith@partner.example", ALIAS);

        assertThat(text).isEqualTo("550 5.1.1 <" + ALIAS + ">: user c-abcdefghijklmnopqrst unknown"
                + " at mx.alias.example.net (c-abcdefghijklmnopqrst.");
    }

    @Test
    void shortLocalPartsAndLongerWordsStay() {
        assertThat(BounceRecipients.withoutRealParts("a mailbox for al is full at partner.examples",
                "al@partner.example", ALIAS)).isEqualTo("a mailbox for al is full at partner.examples");
        assertThat(BounceRecipients.withoutRealParts("bobby and bob-2 are not bob", "bob@partner.example", ALIAS))
                .isEqualTo("bobby and bob-2 are not c-abcdefghijklmnopqrst");
    }

    @Test
    void anAliasedRecipientsReasonKeepsOnlyItsCodes() {
        String note = "(the rest of the reason is left out: it can name the correspondent)";
        assertThat(BounceRecipients.codesOnly("550 5.1.1 <bob.zqx%40partner.example>: user=bob.zqx, host"
                + " mx1.partner.example [192.0.2.44]")).isEqualTo("550 5.1.1 " + note);
        assertThat(BounceRecipients.codesOnly("550-5.7.1 bob[dot]zqx@partner[dot]example")).isEqualTo("550 5.7.1 " + note);
        assertThat(BounceRecipients.codesOnly("554 mailbox bob.zqx_at_partner_example")).isEqualTo("554 " + note);
        assertThat(BounceRecipients.codesOnly("4.4.7 gave up after 5 days: mx.partner.example did not answer"))
                .isEqualTo("4.4.7 " + note);
        assertThat(BounceRecipients.codesOnly("cannot resolve mx.partner.example")).isEqualTo(note);
        assertThat(BounceRecipients.codesOnly(null)).isEqualTo(note);
    }
}
