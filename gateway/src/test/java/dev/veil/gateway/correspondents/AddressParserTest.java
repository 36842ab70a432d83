package dev.veil.gateway.correspondents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.gateway.correspondents.AddressParser.Group;
import dev.veil.gateway.correspondents.AddressParser.Item;
import dev.veil.gateway.correspondents.AddressParser.Mailbox;
import dev.veil.gateway.correspondents.AddressParser.MalformedAddressException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressParserTest {

    @Test
    void readsDisplayNamesQuotedStringsAndBareAddresses() throws Exception {
        List<Item> items = AddressParser.parse("Bob Partner <bob@partner.example>, \"Smith, Carol\" <carol@partner.example>,"
                + " dave@partner.example");

        assertThat(items).containsExactly(
                new Mailbox("Bob Partner", "bob", "partner.example"),
                new Mailbox("Smith, Carol", "carol", "partner.example"),
                new Mailbox("", "dave", "partner.example"));
    }

    @Test
    void decodesEncodedWordDisplayNames() throws Exception {
        List<Item> items = AddressParser.parse("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>,"
                + " =?utf-8?B?TcOkcnk=?= <mary@partner.example>");

        assertThat(items).extracting(i -> ((Mailbox) i).displayName()).containsExactly("Keld Jørn Simonsen", "Märy");
    }

    @Test
    void dropsCommentsEvenInsideTheAddress() throws Exception {
        // RFC 5322 appendix A.5
        List<Item> items = AddressParser.parse("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>");

        assertThat(items).containsExactly(new Mailbox("Pete", "pete", "silly.test"));
    }

    /** A black-box probe: "hans(c).mueller@…" became ".mueller@…", another correspondent's alias and a bad address. */
    @Test
    void aCommentOrSpaceBesideADotOfABareLocalPartIsDroppedNotTakenForTheEndOfADisplayName() throws Exception {
        assertThat(AddressParser.parse("hans(c).mueller@partner-gmbh.de, anna.(x) berg@partner-gmbh.de,"
                + " Dear Bob bob@partner.example"))
                .containsExactly(new Mailbox("", "hans.mueller", "partner-gmbh.de"),
                        new Mailbox("", "anna.berg", "partner-gmbh.de"),
                        new Mailbox("Dear Bob", "bob", "partner.example"));
    }

    @Test
    void readsGroupsWithMembersAndEmptyOnes() throws Exception {
        // RFC 5322 appendix A.1.3 and A.5
        List<Item> items = AddressParser.parse("A Group(Some people):Chris Jones <c@(Chris's host.)public.example>,"
                + " joe@example.org, John <jdoe@one.test> (my dear friend); (the end of the group)");
        List<Item> empty = AddressParser.parse("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;");

        assertThat(items).containsExactly(new Group("A Group", List.of(
                new Mailbox("Chris Jones", "c", "public.example"),
                new Mailbox("", "joe", "example.org"),
                new Mailbox("John", "jdoe", "one.test"))));
        assertThat(empty).containsExactly(new Group("Hidden recipients", List.of()));
    }

    @Test
    void readsInternationalisedAddresses() throws Exception {
        List<Item> items = AddressParser.parse("\"Jöhn Doe\" <jdöe@mächine.example>, x@xn--mchine-bua.example");

        assertThat(items).containsExactly(new Mailbox("Jöhn Doe", "jdöe", "mächine.example"),
                new Mailbox("", "x", "xn--mchine-bua.example"));
        assertThat(AliasDirectory.canonical("JDÖE", "Mächine.Example."))
                .isEqualTo(AliasDirectory.canonical("jdöe", "xn--mchine-bua.example"))
                .isEqualTo("jdöe@xn--mchine-bua.example");
    }

    @Test
    void readsWhatRealMailHasThatIsNotQuiteAnAddress() throws Exception {
        assertThat(AddressParser.parse("undisclosed")).containsExactly(new Mailbox("", "undisclosed", ""));
        assertThat(AddressParser.parse("\"Bestellung [Fake Company]\"")).hasSize(1);
        assertThat(AddressParser.parse("Bridge Test <[user:user]@[domain]>"))
                .containsExactly(new Mailbox("Bridge Test", "[user:user]", "[domain]"));
        assertThat(AddressParser.parse("<@relay.example,@other.example:bob@partner.example>"))
                .containsExactly(new Mailbox("", "bob", "partner.example"));
        assertThat(AddressParser.parse("a@b.example,, c@d.example,")).hasSize(2);
        // ';' between entries outside a group, as Outlook users type lists and some mailers write them
        assertThat(AddressParser.parse("a@b.example; Carol <c@d.example>;e@f.example")).containsExactly(
                new Mailbox("", "a", "b.example"), new Mailbox("Carol", "c", "d.example"),
                new Mailbox("", "e", "f.example"));
        assertThat(AddressParser.parse("G: a@b.example;; c@d.example")).containsExactly(
                new Group("G", List.of(new Mailbox("", "a", "b.example"))), new Mailbox("", "c", "d.example"));
        assertThat(AddressParser.parse("Open Group: a@b.example")).containsExactly(
                new Group("Open Group", List.of(new Mailbox("", "a", "b.example"))));
        assertThat(AddressParser.parse("")).isEmpty();
        // an address written as the display name, unquoted, as some mailers do: the brackets hold the address
        assertThat(AddressParser.parse("bob@partner.example <bob@partner.example>"))
                .containsExactly(new Mailbox("bob@partner.example", "bob", "partner.example"));
        assertThat(AddressParser.parse("Bob Smith bob@partner.example <b.smith@partner.example>, c@d.example"))
                .containsExactly(new Mailbox("Bob Smith bob@partner.example", "b.smith", "partner.example"),
                        new Mailbox("", "c", "d.example"));
        // an unquoted "Last, First" display name: one mailbox, not a bare local part and another mailbox (a probe's
        // protected user's surname became a correspondent)
        assertThat(AddressParser.parse("Wurzel, Kasimir <kw@example.com>; Yarrow, Carol <carol@y.example>"))
                .containsExactly(new Mailbox("Wurzel, Kasimir", "kw", "example.com"),
                        new Mailbox("Yarrow, Carol", "carol", "y.example"));
        assertThat(AddressParser.parse("van der Berg, Jan Piet <jp@b.example>, c@d.example")).containsExactly(
                new Mailbox("van der Berg, Jan Piet", "jp", "b.example"), new Mailbox("", "c", "d.example"));
        assertThat(AddressParser.parse("undisclosed, c@d.example")).as("no display name follows").containsExactly(
                new Mailbox("", "undisclosed", ""), new Mailbox("", "c", "d.example"));
        assertThat(AddressParser.parse("a@b.example, c@d.example <e@f.example>")).containsExactly(
                new Mailbox("", "a", "b.example"), new Mailbox("c@d.example", "e", "f.example"));
        // undeclared 8-bit bytes in a display name (read as U+FFFD) do not matter: the name is replaced anyway
        assertThat(AddressParser.parse("\uFFFD\uFFFD <sender@pm.me>")).containsExactly(new Mailbox("\uFFFD\uFFFD", "sender", "pm.me"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"Bob <bob@partner.example>", "Bob <bob@partner.example", "bob@partner.example>",
            "bob@", "(comment bob@partner.example", "G1: G2: a@b.example;;",
            "bob@partner.example)", "<>", "Bob <b\uFFFDb@partner.example>"})
    void refusesWhatItCannotTellApart(String value) {
        assertThatThrownBy(() -> AddressParser.parse(value)).isInstanceOf(MalformedAddressException.class);
    }
}
