package dev.veil.gateway.correspondents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.crypto.HeaderBlock;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Header restoration on mail leaving the business, with an in-test Reidentifier. */
class CorrespondentRestorerTest {
    private static final String BOB_ALIAS = "c-7qf2@alias.example.net";
    private static final String CAROL_ALIAS = "c-k9zz@alias.example.net";
    private final MapReidentifier aliases = new MapReidentifier()
            .alias(BOB_ALIAS, "bob@partner.example")
            .alias(CAROL_ALIAS, "carol@other.example")
            .messageId("<t-abc@alias.example.net>", "<CAF123@mail.partner.example>")
            .messageId("<t-def@alias.example.net>", "<9876.xyz@other.example>");
    /** Who took part in which message (real id without brackets to party keys), as recorded inbound. */
    private final java.util.Map<String, java.util.Set<String>> knows = new java.util.HashMap<>(java.util.Map.of(
            "CAF123@mail.partner.example", java.util.Set.of("c-7qf2"),
            "9876.xyz@other.example", java.util.Set.of("c-k9zz", "c-bcc1")));
    private final CorrespondentRestorer restorer = new CorrespondentRestorer(aliases,
            (id, parties) -> knows.getOrDefault(id, java.util.Set.of()).stream().anyMatch(parties::contains));

    private String restore(String message) throws Exception {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        return new String(restoreWhole(bytes).header(), StandardCharsets.UTF_8);
    }

    /** The restored header block followed by the rest of the message, as the step writes it. */
    private CorrespondentRestorer.Restored restoreWhole(byte[] bytes) throws Exception {
        HeaderBlock block = HeaderBlock.parse(bytes);
        CorrespondentRestorer.Restored restored = restorer.restore(block);
        byte[] whole = java.util.Arrays.copyOf(restored.header(), restored.header().length + bytes.length
                - block.consumed().length);
        System.arraycopy(bytes, block.consumed().length, whole, restored.header().length,
                bytes.length - block.consumed().length);
        return new CorrespondentRestorer.Restored(whole, restored.addresses(), restored.messageIds(),
                restored.unresolved(), restored.withheld(), restored.blindCopyFields());
    }

    /**
     * The linear address scan finds what the regular expression it replaced found, over random texts of the
     * characters that matter (local-part and label characters, '@', '.', space, ':', a Latin-1 letter).
     */
    @Test
    void theAddressScanFindsWhatTheRegularExpressionFound() {
        java.util.regex.Pattern regex = java.util.regex.Pattern.compile(
                "[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\\-\\u0080-\\u00FF]+@[A-Za-z0-9\\-\\u0080-\\u00FF]+"
                        + "(?:\\.[A-Za-z0-9\\-\\u0080-\\u00FF]+)*");
        String alphabet = "ab-.@@ :'=\u00e9\u0100<>";
        java.util.Random random = new java.util.Random(42);
        int matches = 0;
        for (int n = 0; n < 20_000; n++) {
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(30); i > 0; i--) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            for (int from = 0; from <= text.length(); from++) {
                java.util.regex.Matcher m = regex.matcher(text);
                int[] found = CorrespondentRestorer.findAddress(text.toString(), from);
                if (m.find(from)) {
                    assertThat(found).as("'" + text + "' from " + from).containsExactly(m.start(), m.end());
                    matches++;
                } else {
                    assertThat(found).as("'" + text + "' from " + from).isNull();
                }
            }
        }
        assertThat(matches).isGreaterThan(10_000);
    }

    @Test
    void theRecipientsAreAskedForOnlyWhenTheHeaderHoldsAnAliasOrToken() throws Exception {
        int[] asked = {0};
        java.util.function.Supplier<java.util.Collection<String>> recipients = () -> {
            asked[0]++;
            return java.util.List.of("bob@partner.example");
        };
        restorer.restore(HeaderBlock.parse(("From: alice@example.com\r\nTo: dora@elsewhere.example\r\n"
                + "Message-ID: <own@example.com>\r\n\r\n").getBytes(StandardCharsets.US_ASCII)), recipients);
        assertThat(asked[0]).as("nothing to restore").isZero();

        CorrespondentRestorer.Restored restored = restorer.restore(HeaderBlock.parse(("To: " + BOB_ALIAS + ", "
                + CAROL_ALIAS + "\r\nIn-Reply-To: <t-abc@alias.example.net>\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII)), recipients);
        assertThat(asked[0]).as("asked once, however many aliases and tokens").isEqualTo(1);
        assertThat(new String(restored.header(), StandardCharsets.US_ASCII)).contains("bob@partner.example",
                CAROL_ALIAS, "<CAF123@mail.partner.example>");
    }

    @Test
    void theOwnMessageIdToRememberIsTheBusinessesOwnAndNeverATokenOfACorrespondentsId() throws Exception {
        assertThat(restorer.ownMessageId(HeaderBlock.parse("Message-ID:  <reply1@EXCH.prod.outlook.com> (x)\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII)))).contains("reply1@EXCH.prod.outlook.com");
        // a message sent again under the token Exchange was shown: its real id is Bob's, not to be shown later
        assertThat(restorer.ownMessageId(HeaderBlock.parse("Message-ID: <t-abc@alias.example.net>\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII)))).isEmpty();
        assertThat(restorer.ownMessageId(HeaderBlock.parse("Subject: none\r\n\r\n".getBytes(StandardCharsets.US_ASCII))))
                .isEmpty();
        assertThat(restorer.ownMessageId(HeaderBlock.parse("Message-ID: no brackets\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII)))).isEmpty();
    }

    @Test
    void aliasInAngleBracketsBecomesTheRealAddressAndADisplayNameThatIsNoLabelStays() throws Exception {
        String out = restore("From: Alice <alice@example.com>\r\nTo: \"Contact 7QF2\" <" + BOB_ALIAS + ">\r\n"
                + "Subject: re: plan\r\n\r\nbody\r\n");

        assertThat(out).isEqualTo("From: Alice <alice@example.com>\r\nTo: \"Contact 7QF2\" <bob@partner.example>\r\n"
                + "Subject: re: plan\r\n\r\nbody\r\n");
    }

    @Test
    void theLabelVeilGaveACorrespondentDoesNotGoToThemWithTheirAddress() throws Exception {
        // found by a probe: Bob read "Contact 7QF2 <bob@partner.example>" in a reply, and so learnt of the aliases
        aliases.labels = java.util.regex.Pattern.compile("Contact [A-Z2-7]{4}");
        String out = restore("From: Alice <alice@example.com>\r\nTo: \"Contact 7QF2\" <" + BOB_ALIAS + ">,"
                + " Contact K3ZZ\r\n <" + CAROL_ALIAS + ">\r\nCc: Carol at home <" + CAROL_ALIAS + ">,"
                + " \"Smith, Contact K3ZZ\" <" + CAROL_ALIAS + ">, (note) Contact K3ZZ <" + CAROL_ALIAS + ">\r\n"
                + "Reply-To: Team: Contact 7QF2 <" + BOB_ALIAS + ">;\r\n"
                + "Subject: Contact 7QF2 <" + BOB_ALIAS + ">\r\n\r\nbody\r\n");

        assertThat(out).isEqualTo("From: Alice <alice@example.com>\r\nTo: <bob@partner.example>,"
                + " <carol@other.example>\r\nCc: Carol at home <carol@other.example>,"
                + " \"Smith, Contact K3ZZ\" <carol@other.example>, (note) Contact K3ZZ <carol@other.example>\r\n"
                + "Reply-To: Team: <bob@partner.example>;\r\n"
                + "Subject: Contact 7QF2 <" + BOB_ALIAS + ">\r\n\r\nbody\r\n");
        // the label as mail programs may write it: encoded, partly quoted, with a quoted pair (a probe's forms)
        for (String written : java.util.List.of("=?UTF-8?Q?Contact_7QF2?=", "=?UTF-8?B?Q29udGFjdCA3UUYy?=",
                "Contact =?us-ascii?q?7QF2?=", "Contact \"7QF2\"", "\"Contact \\7QF2\"")) {
            assertThat(restore("To: " + written + " <" + BOB_ALIAS + ">\r\n\r\n")).as(written)
                    .isEqualTo("To: <bob@partner.example>\r\n\r\n");
        }
        assertThat(restore("To: Contact (x) 7QF2 <" + BOB_ALIAS + ">\r\n\r\n")).as("a comment: not a label")
                .isEqualTo("To: Contact (x) 7QF2 <bob@partner.example>\r\n\r\n");
        // quotes and comments hold the separators and brackets inside them
        assertThat(restore("To: \"Contact, 7QF2 <x\" <" + BOB_ALIAS + ">, (a, b) \"Contact 7QF2\" <" + BOB_ALIAS
                + ">, \"q\\\"\" <" + CAROL_ALIAS + ">\r\n\r\n")).isEqualTo("To: \"Contact, 7QF2 <x\" <bob@partner.example>,"
                + " (a, b) \"Contact 7QF2\" <bob@partner.example>, \"q\\\"\" <carol@other.example>\r\n\r\n");
        // a label with a comma in it, quoted: the whole quoted string is the name (a contact's "Family, Given")
        aliases.labels = java.util.regex.Pattern.compile("Contact [A-Z2-7]{4}|n1-[a-z2-7]{16}, n1-[a-z2-7]{16}");
        assertThat(restore("To: \"n1-abcdefghijklmnop, n1-qrstuvwxyz234567\" <" + BOB_ALIAS + ">\r\n\r\n"))
                .isEqualTo("To: <bob@partner.example>\r\n\r\n");
        // an alias that stays (the message does not go to Carol) keeps its label: it names nobody real
        String withheld = new String(restorer.restore(HeaderBlock.parse(("To: Contact 7QF2 <" + BOB_ALIAS + ">, Contact"
                + " K3ZZ <" + CAROL_ALIAS + ">\r\n\r\n").getBytes(StandardCharsets.US_ASCII)),
                java.util.List.of("bob@partner.example")).header(), StandardCharsets.US_ASCII);
        assertThat(withheld).isEqualTo("To: <bob@partner.example>, Contact K3ZZ <" + CAROL_ALIAS + ">\r\n\r\n");
    }

    @Test
    void everyAddressFieldIsRestoredAndOtherFieldsAndTheBodyAreNot() throws Exception {
        String out = restore("From: " + BOB_ALIAS + "\r\nSender: <" + BOB_ALIAS + ">\r\nReply-To: " + CAROL_ALIAS
                + "\r\nTo: " + BOB_ALIAS + "\r\nCc: " + CAROL_ALIAS + "\r\nSubject: mail " + BOB_ALIAS
                + "\r\nX-Note: " + BOB_ALIAS + "\r\n\r\nwrite to " + BOB_ALIAS + "\r\n");

        assertThat(out).isEqualTo("From: bob@partner.example\r\nSender: <bob@partner.example>\r\n"
                + "Reply-To: carol@other.example\r\nTo: bob@partner.example\r\nCc: carol@other.example\r\n"
                + "Subject: mail " + BOB_ALIAS + "\r\nX-Note: " + BOB_ALIAS + "\r\n\r\nwrite to " + BOB_ALIAS + "\r\n");
    }

    @Test
    void blindCopyFieldsAreRemovedWithTheAliasesInThem() throws Exception {
        // found by a black-box probe: a client that kept Bcc in what it submitted sent aliases out to every recipient
        CorrespondentRestorer.Restored restored = restoreWhole(("From: alice@example.com\r\nTo: " + BOB_ALIAS
                + "\r\nBcc: \"Contact K9ZZ\" <" + CAROL_ALIAS + ">,\r\n dora@elsewhere.example\r\nSubject: hi\r\n"
                + "Resent-Bcc: " + CAROL_ALIAS + "\r\nBCC:\r\n\r\nBcc: in the body\r\n")
                .getBytes(StandardCharsets.UTF_8));

        assertThat(new String(restored.header(), StandardCharsets.UTF_8)).isEqualTo("From: alice@example.com\r\n"
                + "To: bob@partner.example\r\nSubject: hi\r\n\r\nBcc: in the body\r\n");
        assertThat(restored.blindCopyFields()).isEqualTo(3);
        assertThat(restored.changed()).isTrue();
        // a Bcc field alone is reason enough to write the message anew
        CorrespondentRestorer.Restored onlyBcc = restorer.restore(HeaderBlock.parse(
                "To: dora@elsewhere.example\r\nBcc: eve@elsewhere.example\r\n\r\n".getBytes(StandardCharsets.US_ASCII)),
                java.util.List.of("dora@elsewhere.example", "eve@elsewhere.example"));
        assertThat(onlyBcc.changed()).isTrue();
        assertThat(new String(onlyBcc.header(), StandardCharsets.US_ASCII)).isEqualTo("To: dora@elsewhere.example\r\n\r\n");
    }

    @Test
    void groupSyntaxFoldingAndCaseAreKept() throws Exception {
        String out = restore("To: Partners: \"Contact 7QF2\" <C-7QF2@Alias.Example.NET>,\r\n\tcarol@example.com,\r\n"
                + " " + CAROL_ALIAS + ";, undisclosed-recipients:;\r\n\r\n");

        assertThat(out).isEqualTo("To: Partners: \"Contact 7QF2\" <bob@partner.example>,\r\n\tcarol@example.com,\r\n"
                + " carol@other.example;, undisclosed-recipients:;\r\n\r\n");
    }

    /**
     * Outlook writes an address typed as a recipient's name quoted in apostrophes; a name can also be an encoded word
     * that hides the alias's {@code @}. A black-box probe's correspondents read their own aliases in both.
     */
    @Test
    void anAliasWrittenAsTheNameIsRestoredOrDropped() throws Exception {
        assertThat(restore("To: '" + BOB_ALIAS + "' <" + BOB_ALIAS + ">\r\n\r\n"))
                .isEqualTo("To: 'bob@partner.example' <bob@partner.example>\r\n\r\n");
        assertThat(restore("To: \"'" + BOB_ALIAS + "'\" <" + BOB_ALIAS + ">\r\n\r\n"))
                .isEqualTo("To: \"'bob@partner.example'\" <bob@partner.example>\r\n\r\n");
        assertThat(restore("To: \"" + BOB_ALIAS + "\" <" + BOB_ALIAS + ">\r\n\r\n"))
                .isEqualTo("To: \"bob@partner.example\" <bob@partner.example>\r\n\r\n");
        assertThat(restore("To: =?utf-8?Q?c-7qf2=40alias.example.net?= <" + BOB_ALIAS + ">, =?utf-8?B?"
                + java.util.Base64.getEncoder().encodeToString(("'" + CAROL_ALIAS + "'").getBytes(StandardCharsets.UTF_8))
                + "?= <" + CAROL_ALIAS + ">\r\n\r\n"))
                .isEqualTo("To: <bob@partner.example>, <carol@other.example>\r\n\r\n");
        // another alias of the domain that names nobody Veil knows is still an alias, not a name
        assertThat(restore("To: =?utf-8?Q?c-zzzz=40alias.example.net?= <" + BOB_ALIAS + ">\r\n\r\n"))
                .isEqualTo("To: <bob@partner.example>\r\n\r\n");
    }

    @Test
    void encodedWordDisplayNamesAndCommentsAreLeftAsTheyAre() throws Exception {
        String out = restore("From: =?UTF-8?B?Q29udGFjdCDDnzc=?= <" + BOB_ALIAS + "> (via Veil)\r\n"
                + "Cc: =?iso-8859-1?Q?J=F6rg?= <" + CAROL_ALIAS + ">\r\n\r\n");

        assertThat(out).isEqualTo("From: =?UTF-8?B?Q29udGFjdCDDnzc=?= <bob@partner.example> (via Veil)\r\n"
                + "Cc: =?iso-8859-1?Q?J=F6rg?= <carol@other.example>\r\n\r\n");
    }

    @Test
    void malformedFieldsLoseNothingAndTheirAliasesAreStillRestored() throws Exception {
        String out = restore("To: \"unterminated <" + BOB_ALIAS + ">\r\nCc: <<" + CAROL_ALIAS + ">>, ,;;@@, <>\r\n"
                + "From: (open comment " + BOB_ALIAS + "\r\n\r\n");

        assertThat(out).isEqualTo("To: \"unterminated <bob@partner.example>\r\nCc: <<carol@other.example>>, ,;;@@, <>\r\n"
                + "From: (open comment bob@partner.example\r\n\r\n");
    }

    @Test
    void utf8HeadersPassThroughAndARealAddressMayBeInternationalised() throws Exception {
        aliases.alias("c-jorg@alias.example.net", "jörg@bücher.example");
        String out = restore("To: Jörg Müller <c-jorg@alias.example.net>, ärger@example.com\r\n\r\n");

        assertThat(out).isEqualTo("To: Jörg Müller <jörg@bücher.example>, ärger@example.com\r\n\r\n");
    }

    @Test
    void tokenisedMessageIdsInAllThreadingFieldsBecomeTheRealOnes() throws Exception {
        String out = restore("Message-ID: <t-abc@alias.example.net>\r\nIn-Reply-To: <t-abc@alias.example.net>\r\n"
                + "References: <first@example.com>\r\n <t-def@alias.example.net> <t-abc@alias.example.net>\r\n\r\n");

        assertThat(out).isEqualTo("Message-ID: <CAF123@mail.partner.example>\r\nIn-Reply-To: <CAF123@mail.partner.example>\r\n"
                + "References: <first@example.com>\r\n <9876.xyz@other.example> <CAF123@mail.partner.example>\r\n\r\n");
    }

    @Test
    void unknownAliasesAndIdsStayAndAreCountedNothingElseChanges() throws Exception {
        byte[] in = ("To: <c-unknown@alias.example.net>\r\nReferences: <t-unknown@alias.example.net>\r\n\r\nx\r\n")
                .getBytes(StandardCharsets.US_ASCII);

        CorrespondentRestorer.Restored restored = restoreWhole(in);

        assertThat(restored.changed()).isFalse();
        assertThat(restored.unresolved()).isEqualTo(1);
        assertThat(restored.header()).isEqualTo(in);
    }

    @Test
    void mboxLineAndByteOrderMarkBeforeTheHeaderAreKept() throws Exception {
        String out = restore("\uFEFFTo: " + BOB_ALIAS + "\r\n\r\n");

        assertThat(out).isEqualTo("\uFEFFTo: bob@partner.example\r\n\r\n");
    }

    @Test
    void aFailingReidentifierStopsTheWholeRestoration() {
        aliases.failure = new IllegalStateException("vault is locked");

        assertThatThrownBy(() -> restore("To: " + BOB_ALIAS + "\r\n\r\n"))
                .isInstanceOf(RestorationException.class).hasMessageContaining("vault is locked");
    }

    @Test
    void aRealAddressThatCouldInjectHeaderTextIsNeverWrittenTheAliasStays() throws Exception {
        aliases.alias(BOB_ALIAS, "bob@partner.example\r\nBcc: eve@evil.example");

        CorrespondentRestorer.Restored restored = restoreWhole(("To: " + BOB_ALIAS + ", " + CAROL_ALIAS + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(restored.header(), StandardCharsets.US_ASCII))
                .isEqualTo("To: " + BOB_ALIAS + ", carol@other.example\r\n\r\n");
        assertThat(restored.unresolved()).isEqualTo(1);
    }

    /**
     * A correspondent whose address has a quoted local part or is an address literal: the outbound listener refuses
     * the alias as a recipient, and a reply that names it anyway (in Cc, in its quoted text) goes to the others with
     * that alias as it was. It was held back, then bounced for every recipient (a black-box probe).
     */
    @Test
    void anAliasOfAnAddressWithAQuotedLocalPartOrAnAddressLiteralStaysAndTheRestIsRestored() throws Exception {
        String quoted = "c-qqqq@" + MapReidentifier.ALIAS_DOMAIN;
        String literal = "c-llll@" + MapReidentifier.ALIAS_DOMAIN;
        aliases.alias(quoted, "\"john..doe\"@quoted.example").alias(literal, "alice@[192.0.2.1]");
        String reply = "From: alice@example.com\r\nTo: " + BOB_ALIAS + "\r\nCc: Correspondent LSLT <" + quoted
                + ">, <" + literal + ">\r\n\r\n";

        assertThat(restoreFor(reply, "bob@partner.example")).isEqualTo("From: alice@example.com\r\n"
                + "To: bob@partner.example\r\nCc: Correspondent LSLT <" + quoted + ">, <" + literal + ">\r\n\r\n");
        assertThat(restore(reply)).as("restoring everything, as tools do").contains("To: bob@partner.example\r\n",
                "<" + quoted + ">", "<" + literal + ">");
        String text = "> From: Correspondent LSLT <" + quoted + ">\r\n> To: " + BOB_ALIAS + "\r\n";
        CorrespondentRestorer.RestoredText restored = restorer.restoreText(text.getBytes(StandardCharsets.US_ASCII),
                () -> java.util.List.of("bob@partner.example"));
        assertThat(new String(restored.text(), StandardCharsets.US_ASCII))
                .isEqualTo("> From: Correspondent LSLT <" + quoted + ">\r\n> To: bob@partner.example\r\n");
    }

    @Test
    void aRealMessageIdThatIsNotAMsgIdIsRefused() {
        aliases.messageId("<t-abc@alias.example.net>", "<a b>\r\nX: y");

        assertThatThrownBy(() -> restore("In-Reply-To: <t-abc@alias.example.net>\r\n\r\n"))
                .isInstanceOf(RestorationException.class);
    }

    // --- only to whom the message goes ----------------------------------------------------------------------------

    private static final String PROBE = "From: alice@example.com\r\nTo: attacker@evil.example\r\nCc: " + BOB_ALIAS
            + ", " + CAROL_ALIAS + "\r\nReply-To: " + CAROL_ALIAS + "\r\nReferences: <t-abc@alias.example.net>\r\n\r\n";

    private String restoreFor(String message, String... recipients) throws Exception {
        CorrespondentRestorer.Restored restored = restorer.restore(
                HeaderBlock.parse(message.getBytes(StandardCharsets.UTF_8)), java.util.List.of(recipients));
        return new String(restored.header(), StandardCharsets.UTF_8);
    }

    /** Without the envelope check, a message to oneself would read back every alias and token it holds. */
    @Test
    void aMessageThatGoesToNoCorrespondentGetsNoAliasOrTokenRestored() throws Exception {
        CorrespondentRestorer.Restored restored = restorer.restore(
                HeaderBlock.parse(PROBE.getBytes(StandardCharsets.UTF_8)), java.util.List.of("attacker@evil.example"));

        assertThat(new String(restored.header(), StandardCharsets.UTF_8)).isEqualTo(PROBE);
        assertThat(restored.withheld()).isEqualTo(4);
        assertThat(restored.changed()).isFalse();
    }

    @Test
    void onlyTheRecipientsAliasesAreRestoredAndTheIdsBecauseACorrespondentGetsIt() throws Exception {
        assertThat(restoreFor(PROBE, "attacker@evil.example", "Bob@Partner.Example")).isEqualTo(
                "From: alice@example.com\r\nTo: attacker@evil.example\r\nCc: bob@partner.example, " + CAROL_ALIAS
                        + "\r\nReply-To: " + CAROL_ALIAS + "\r\nReferences: <CAF123@mail.partner.example>\r\n\r\n");
    }

    /**
     * A read receipt (RFC 8098) or a bounce sent out to a correspondent names the original as Exchange knew it; its
     * field parts are restored as a header is, under the same rules, and everything else stays byte for byte. A
     * black-box probe's receipt kept the token in Original-Message-ID, so Bob's program could not match it.
     */
    @Test
    void theFieldPartsOfAReportAreRestoredAndNothingElse() throws Exception {
        String body = "This is a MIME-encapsulated message\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
                + "Your message to Contact 7QF2 <" + BOB_ALIAS + "> was read.\r\n\r\n"
                + "--b1\r\nContent-Type: message/disposition-notification\r\n\r\n"
                + "Reporting-UA: Microsoft Outlook\r\nFinal-Recipient: rfc822;alice@example.com\r\n"
                + "Original-Message-ID: <t-abc@alias.example.net>\r\nDisposition: manual-action/MDN-sent-manually;"
                + " displayed\r\n\r\n"
                + "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Contact 7QF2 <" + BOB_ALIAS + ">\r\n"
                + "To: alice@example.com\r\nCc: " + CAROL_ALIAS + "\r\nMessage-ID: <t-abc@alias.example.net>\r\n"
                + "\r\n--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns;mx.example.com\r\n"
                + "\r\nFinal-Recipient: rfc822;" + BOB_ALIAS + "\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                + "Diagnostic-Code: smtp; 554 5.7.1 rejected MAIL FROM:<" + BOB_ALIAS + ">\r\n\r\n"
                + "--b1\r\nContent-Type: message/disposition-notification\r\nContent-Transfer-Encoding: base64\r\n"
                + "\r\nT3JpZ2luYWwtTWVzc2FnZS1JRDogPHQtYWJjQGFsaWFzLmV4YW1wbGUubmV0Pg==\r\n--b1--\r\n";
        assertThat(ReportParts.reportBoundary("multipart/report; report-type=disposition-notification;\r\n"
                + "\tboundary=\"b1\"")).contains("b1");
        assertThat(ReportParts.reportBoundary("multipart/mixed; boundary=b1")).isEmpty();

        byte[] restored = ReportParts.restore(body.getBytes(StandardCharsets.UTF_8), "b1",
                fields -> restorer.restoreReportFields(fields, () -> java.util.List.of("bob@partner.example")).header());
        assertThat(new String(restored, StandardCharsets.UTF_8)).isEqualTo(body
                .replace("Original-Message-ID: <t-abc@alias.example.net>", "Original-Message-ID: <CAF123@mail.partner.example>")
                .replace("Message-ID: <t-abc@alias.example.net>\r\n\r\n--b1\r\nContent-Type: message/delivery",
                        "Message-ID: <CAF123@mail.partner.example>\r\n\r\n--b1\r\nContent-Type: message/delivery")
                .replace("From: Contact 7QF2 <" + BOB_ALIAS + ">", "From: Contact 7QF2 <bob@partner.example>")
                .replace("Final-Recipient: rfc822;" + BOB_ALIAS, "Final-Recipient: rfc822;bob@partner.example")
                .replace("MAIL FROM:<" + BOB_ALIAS + ">", "MAIL FROM:<bob@partner.example>"));

        // without its close delimiter the last part is a part all the same; a report nested in it is followed
        String unclosed = body.substring(0, body.indexOf("--b1\r\nContent-Type: message/delivery-status"));
        assertThat(new String(ReportParts.restore(unclosed.getBytes(StandardCharsets.UTF_8), "b1",
                fields -> restorer.restoreReportFields(fields, () -> java.util.List.of("bob@partner.example")).header()),
                StandardCharsets.UTF_8)).doesNotContain("t-abc@").contains("From: Contact 7QF2 <bob@partner.example>");
        String nested = "--outer\r\nContent-Type: multipart/report; boundary=\"b1\"\r\n\r\n" + body
                + "--outer\r\nContent-Type: message/disposition-notification\r\n\r\nOriginal-Message-ID:"
                + " <t-abc@alias.example.net>\r\n--outer--\r\n";
        String nestedRestored = new String(ReportParts.restore(nested.getBytes(StandardCharsets.UTF_8), "outer",
                fields -> restorer.restoreReportFields(fields, () -> java.util.List.of("bob@partner.example")).header()),
                StandardCharsets.UTF_8);
        assertThat(nestedRestored).doesNotContain("t-abc@").doesNotContain("From: Contact 7QF2 <" + BOB_ALIAS)
                .contains("Final-Recipient: rfc822;bob@partner.example")
                .contains("Your message to Contact 7QF2 <" + BOB_ALIAS + "> was read."); // text stays

        // a report that goes to nobody it names keeps every alias and token
        byte[] kept = body.getBytes(StandardCharsets.UTF_8);
        assertThat(ReportParts.restore(kept, "b1", fields -> restorer.restoreReportFields(fields,
                () -> java.util.List.of("attacker@evil.example")).header())).isEqualTo(kept);
    }

    @Test
    void aReplyToItsCorrespondentsIsRestoredWhole() throws Exception {
        String reply = "From: alice@example.com\r\nTo: \"Contact 7QF2\" <" + BOB_ALIAS + ">\r\nCc: " + CAROL_ALIAS
                + "\r\nIn-Reply-To: <t-abc@alias.example.net>\r\n\r\n";

        assertThat(restoreFor(reply, "bob@partner.example", "carol@other.example")).isEqualTo(
                "From: alice@example.com\r\nTo: \"Contact 7QF2\" <bob@partner.example>\r\nCc: carol@other.example"
                        + "\r\nIn-Reply-To: <CAF123@mail.partner.example>\r\n\r\n");
    }

    /**
     * Anyone becomes a correspondent by writing to the business; whoever may submit outbound must not be able to send
     * one the tokens of other people's mail and read back the real ids (found by a black-box probe).
     */
    @Test
    void aCorrespondentGetsBackOnlyTheIdsOfMessagesItTookPartIn() throws Exception {
        String harvest = "From: alice@example.com\r\nTo: " + BOB_ALIAS + "\r\nReferences: <t-abc@alias.example.net>"
                + " <t-def@alias.example.net>\r\n\r\n";

        CorrespondentRestorer.Restored restored = restorer.restore(
                HeaderBlock.parse(harvest.getBytes(StandardCharsets.UTF_8)), java.util.List.of("bob@partner.example"));

        assertThat(new String(restored.header(), StandardCharsets.UTF_8)).contains(
                "References: <CAF123@mail.partner.example> <t-def@alias.example.net>");
        assertThat(restored.withheld()).isEqualTo(1);
        // without any record of who took part, no id goes back at all
        assertThat(new String(new CorrespondentRestorer(aliases).restore(HeaderBlock.parse(harvest.getBytes(
                StandardCharsets.UTF_8)), java.util.List.of("bob@partner.example")).header(), StandardCharsets.UTF_8))
                .contains("References: <t-abc@alias.example.net> <t-def@alias.example.net>");
    }

    /** A Bcc to a correspondent: the header names none, the envelope does; the thread's ids are theirs to see. */
    @Test
    void idsAreRestoredForACorrespondentOnlyInTheEnvelope() throws Exception {
        aliases.alias("c-bcc1@alias.example.net", "dave@partner.example");
        String reply = "From: alice@example.com\r\nTo: alice@example.com\r\nIn-Reply-To: <t-def@alias.example.net>\r\n\r\n";

        assertThat(restoreFor(reply, "alice@example.com", "dave@partner.example"))
                .contains("In-Reply-To: <9876.xyz@other.example>");
        assertThat(restoreFor(reply, "alice@example.com", "someone@else.example"))
                .contains("In-Reply-To: <t-def@alias.example.net>");
    }
    /**
     * A real address may be longer than its alias: Exchange's list of 40 aliases fits a line, the real addresses
     * would pass RFC 5322's 998 octets, and the field is folded (unfolding gives the value the restoring made).
     */
    @Test
    void aRestoredLineThatWouldPass998OctetsIsFolded() throws Exception {
        StringBuilder to = new StringBuilder("To: ");
        StringBuilder expected = new StringBuilder("To: ");
        for (int i = 0; i < 40; i++) {
            String alias = "c-" + i + "@" + MapReidentifier.ALIAS_DOMAIN;
            String real = "someone.with.a.long.name." + i + "@department.partner-with-long-name.example";
            aliases.alias(alias, real);
            to.append(i == 0 ? "" : ",").append(alias);
            expected.append(i == 0 ? "" : ",").append(real);
        }
        String field = to + "\r\n";
        assertThat(field.length()).isLessThan(998);
        String out = restore(field + "Subject: many\r\n\r\nbody\r\n");

        for (String line : out.split("\r\n")) {
            assertThat(line.length()).as(line).isLessThanOrEqualTo(998);
        }
        String restoredTo = out.substring(0, out.indexOf("Subject:"));
        assertThat(restoredTo.split("\r\n")).hasSizeGreaterThan(1);
        // folded after commas, with a space: unfolding gives the addresses, one space after some commas
        assertThat(restoredTo.replaceAll("\r\n(?=[ \t])", "").replace(", ", ","))
                .isEqualTo(expected + "\r\n");
        assertThat(out).endsWith("Subject: many\r\n\r\nbody\r\n");
    }
}
