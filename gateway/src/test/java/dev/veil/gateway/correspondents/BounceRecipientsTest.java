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
}
