package dev.veil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RuleMatchingTest {

    private static final String HEAD = """
            version: 1
            organisation: Example Ltd
            domains: [example.com, "*.example.org", bücher.example]
            keys:
              escrow: true
            rules:
            """;

    private static Policy policy(String rules) {
        PolicyLoad load = PolicyLoader.parse("t.yml", HEAD + rules);
        assertThat(load.problems().stream().filter(p -> p.severity() == Problem.Severity.ERROR).map(Problem::format)).isEmpty();
        return load.policy().orElseThrow();
    }

    private static String rule(String name, String match) {
        return "  - name: " + name + "\n    match:\n" + match.indent(6)
                + "    encrypt:\n      format: smime\n      to: [recipient, escrow]\n";
    }

    private static final String CATCH_ALL = rule("example-com", "recipient: example.com")
            + rule("example-org", "recipient: \"*.example.org\"") + rule("books", "recipient: bücher.example");

    private static String decided(Policy p, Direction d, String from, String to) {
        return p.decide(d, from, to).map(x -> x.rule().name()).orElse("none");
    }

    @Test
    void theFirstMatchingRuleWinsEvenWhenALaterOneIsMoreSpecific() {
        Policy p = policy(rule("sales-from-partner", "recipient: \"sales-*@example.com\"\nsender: \"*@partner.org\"")
                + rule("sales-eu", "recipient: sales-eu@example.com")
                + CATCH_ALL);
        assertThat(decided(p, Direction.INBOUND, "x@partner.org", "sales-eu@example.com")).isEqualTo("sales-from-partner");
        assertThat(decided(p, Direction.INBOUND, "x@other.org", "sales-eu@example.com")).isEqualTo("sales-eu");
        assertThat(decided(p, Direction.INBOUND, "x@partner.org", "alice@example.com")).isEqualTo("example-com");
    }

    @Test
    void anExactAddressRuleAboveTheDomainRuleTakesItsAddressOnly() {
        Policy p = policy(rule("ceo", "recipient: ceo@example.com") + CATCH_ALL);
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "CEO@example.com")).isEqualTo("ceo");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "cfo@example.com")).isEqualTo("example-com");
    }

    /**
     * Exchange Online delivers board+x@ to board's mailbox, so the rule for board holds for its sub-addresses (a
     * black-box probe's board+x@ went out in clear under the domain's pass rule); of the rules for the address as
     * written and for its mailbox the first in the file decides, and explain says so.
     */
    @Test
    void aRuleForAnAddressHoldsForItsSubAddresses() {
        Policy p = policy(rule("board", "recipient: board@example.com") + rule("plus-x", "recipient: ceo+x@example.com")
                + CATCH_ALL);
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "board+x@example.com")).isEqualTo("board");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "Board+Minutes+2026@example.com")).isEqualTo("board");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "ceo+x@example.com")).as("named as written").isEqualTo("plus-x");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "ceo+y@example.com")).isEqualTo("example-com");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "+board@example.com")).as("no mailbox before the +")
                .isEqualTo("example-com");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "boardx@example.com")).isEqualTo("example-com");
        Explanation why = p.explain(Direction.INBOUND, "a@b.c", "board+x@example.com");
        assertThat(why.decision().map(d -> d.rule().name())).contains("board");
        assertThat(why.steps().get(0).why()).contains("board@example.com");

        // an exception for the mailbox above a wider rule holds for its sub-addresses too
        String pass = "  - name: board-clear\n    match:\n      recipient: board@example.com\n    pass:\n      reason: minutes are public\n";
        Policy q = policy(pass + CATCH_ALL);
        assertThat(decided(q, Direction.INBOUND, "a@b.c", "board+x@example.com")).isEqualTo("board-clear");
    }

    @Test
    void globsMatchRunsAndSingleCharacters() {
        Policy p = policy(rule("team", "recipient: \"team-??@example.com\"") + CATCH_ALL);
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "team-de@example.com")).isEqualTo("team");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "team-dev@example.com")).isEqualTo("example-com");
    }

    @Test
    void domainsAndAddressesAreCaseInsensitive() {
        Policy p = policy(rule("ceo", "recipient: CEO@Example.COM") + CATCH_ALL);
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "ceo@EXAMPLE.com")).isEqualTo("ceo");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "Bob@EXAMPLE.COM.")).isEqualTo("example-com");
        assertThat(p.protects("EXAMPLE.com")).isTrue();
    }

    @Test
    void internationalisedDomainsMatchTheSameRuleAsULabelOrALabel() {
        Policy p = policy(CATCH_ALL);
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "anna@bücher.example")).isEqualTo("books");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "anna@xn--bcher-kva.example")).isEqualTo("books");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "anna@BÜCHER.example")).isEqualTo("books");
        assertThat(p.protects("xn--bcher-kva.example")).isTrue();
        assertThat(p.protects("Bücher.Example")).isTrue();
    }

    @Test
    void aRuleWrittenWithAnALabelMatchesMailAddressedWithTheULabel() {
        Policy p = policy(rule("books-a", "recipient: \"*@XN--BCHER-KVA.example\"") + CATCH_ALL.replace(
                rule("books", "recipient: bücher.example"), ""));
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "anna@bücher.example")).isEqualTo("books-a");
    }

    @Test
    void subDomainsMatchOnlyTheStarDotForm() {
        Policy p = policy(CATCH_ALL);
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "x@mail.example.org")).isEqualTo("example-org");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "x@a.b.example.org")).isEqualTo("example-org");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "x@example.org")).isEqualTo("none");
        assertThat(decided(p, Direction.INBOUND, "a@b.c", "x@mail.example.com")).isEqualTo("none");
        assertThat(p.protects("mail.example.org")).isTrue();
        assertThat(p.protects("example.org")).isFalse();
        assertThat(p.protects("mail.example.com")).isFalse();
        assertThat(p.protects("notexample.com")).isFalse();
    }

    @Test
    void directionAndSenderNarrowARule() {
        Policy p = policy(rule("out-news", "sender: news@example.com\nrecipient: \"*\"\ndirection: outbound")
                .replace("encrypt:\n      format: smime\n      to: [recipient, escrow]\n", "pass:\n      reason: public\n")
                + CATCH_ALL);
        assertThat(p.decide(Direction.OUTBOUND, "news@example.com", "bob@example.com").orElseThrow().action())
                .isEqualTo(new Action.Pass("public"));
        assertThat(decided(p, Direction.INBOUND, "news@example.com", "bob@example.com")).isEqualTo("example-com");
        assertThat(decided(p, Direction.OUTBOUND, "other@example.com", "bob@example.com")).isEqualTo("example-com");
    }

    @Test
    void theNullSenderMatchesOnlyAnyOrTheEmptyPattern() {
        Policy p = policy(rule("bounces", "sender: \"<>\"\nrecipient: example.com")
                + rule("partner", "sender: \"*@partner.org\"\nrecipient: example.com") + CATCH_ALL);
        assertThat(decided(p, Direction.INBOUND, null, "a@example.com")).isEqualTo("bounces");
        assertThat(decided(p, Direction.INBOUND, "", "a@example.com")).isEqualTo("bounces");
        assertThat(decided(p, Direction.INBOUND, "<>", "a@example.com")).isEqualTo("bounces");
        assertThat(decided(p, Direction.INBOUND, "x@partner.org", "a@example.com")).isEqualTo("partner");
        assertThat(decided(p, Direction.INBOUND, "x@other.org", "a@example.com")).isEqualTo("example-com");
    }

    @Test
    void noMatchingRuleMeansNoDecisionSoTheGatewayFailsClosed() {
        Policy p = policy(CATCH_ALL);
        assertThat(p.decide(Direction.INBOUND, "a@b.c", "x@elsewhere.net")).isEmpty();
        assertThat(p.decide(Direction.INBOUND, "a@b.c", null)).isEmpty();
        assertThat(p.decide(Direction.INBOUND, "a@b.c", "")).isEmpty();
    }

    @Test
    void explainNamesTheMatchingRuleAndWhyEarlierOnesDidNot() {
        Policy p = policy(rule("ceo", "recipient: ceo@example.com")
                + rule("partner", "sender: \"*@partner.org\"\nrecipient: example.com\ndirection: inbound")
                + CATCH_ALL);
        Explanation e = p.explain(Direction.INBOUND, "bob@other.org", "Alice@Example.com");
        assertThat(e.decision().orElseThrow().rule().name()).isEqualTo("example-com");
        assertThat(e.recipientProtected()).isTrue();
        assertThat(e.steps()).extracting(Explanation.Step::matched).containsExactly(false, false, true);
        assertThat(e.steps().get(0).why()).isEqualTo("recipient alice@example.com matches none of ['ceo@example.com']");
        assertThat(e.steps().get(1).why()).isEqualTo("sender bob@other.org matches none of ['*@partner.org']");
        assertThat(e.text()).contains("rule 'example-com' (t.yml:21) matches: recipient alice@example.com matches 'example.com'")
                .contains("=> encrypt with S/MIME (aes-256-gcm) to: the recipient's own certificate (issued by the organisation CA"
                        + " on first need); the organisation escrow key")
                .contains("Subject shown as \"[encrypted]\"")
                .contains("if that fails: defer");
    }

    @Test
    void explainSaysWhenNothingMatches() {
        Policy p = policy(CATCH_ALL);
        Explanation e = p.explain(Direction.OUTBOUND, "<>", "x@elsewhere.net");
        assertThat(e.decision()).isEmpty();
        assertThat(e.recipientProtected()).isFalse();
        assertThat(e.text()).contains("outbound mail from <> to x@elsewhere.net").contains("no rule matches");
    }

    @Test
    void explainSaysOutboundMailThatNoRuleMatchesLeavesAsSubmitted() {
        Policy p = PolicyLoader.parse("policy.yml", PolicyLoader.exampleYaml()).policy().orElseThrow();

        Explanation outbound = p.explain(Direction.OUTBOUND, "bob@example.com", "x@other.org");
        Explanation inbound = p.explain(Direction.INBOUND, "bob@example.com", "x@other.org");

        assertThat(outbound.decision()).isEmpty();
        assertThat(outbound.relayedAsSubmitted()).isTrue();
        assertThat(outbound.text()).contains("outbound mail from bob@example.com to x@other.org")
                .contains("no rule matches: outbound mail that no rule matches leaves as submitted (relayed unencrypted")
                .doesNotContain("on-error").doesNotContain("defer");
        assertThat(inbound.relayedAsSubmitted()).isFalse();
        // inbound mail for a domain the policy does not protect never reaches the rules: the listener refuses it
        assertThat(inbound.text()).contains("the recipient's domain is not protected")
                .contains("=> refused at RCPT with 550 5.7.1").doesNotContain("no rule matches")
                .doesNotContain("rule '");
    }

    @Test
    void explainMatchesOnTheDirectionItIsGiven() {
        Policy p = policy(rule("outgoing", "recipient: \"*@other.org\"\ndirection: outbound") + CATCH_ALL);

        assertThat(p.explain(Direction.OUTBOUND, "bob@example.com", "x@other.org").decision())
                .map(d -> d.rule().name()).contains("outgoing");
        Explanation inbound = p.explain(Direction.INBOUND, "bob@example.com", "x@other.org");
        assertThat(inbound.decision()).isEmpty();
        assertThat(inbound.steps().get(0).why()).isEqualTo("it is for outbound mail, this is inbound");
    }

    @Test
    void theIndexAlwaysAgreesWithReadingTheRulesInOrder() {
        Random random = new Random(42);
        String[] locals = {"alice", "bob", "sales-eu", "sales-de", "team-1", "x"};
        String[] domains = {"example.com", "mail.example.com", "a.mail.example.com", "example.org", "partner.org", "bücher.example"};
        String[] patterns = {"*", "example.com", "*.example.com", "alice@example.com", "sales-*@example.com",
            "*@*.example.com", "team-?@*", "bob@*", "*@example.???", "partner.org", "bücher.example", "b*@mail.example.com"};
        for (int round = 0; round < 50; round++) {
            List<Rule> rules = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                List<String> to = random.nextInt(4) == 0 ? List.of()
                        : List.of(patterns[random.nextInt(patterns.length)], patterns[random.nextInt(patterns.length)]);
                List<String> from = random.nextInt(3) == 0 ? List.of(patterns[random.nextInt(patterns.length)]) : List.of();
                Direction d = random.nextInt(3) == 0 ? null : Direction.values()[random.nextInt(2)];
                rules.add(new Rule("r" + i, i, new Match(to, from, d), new Action.Reject("no")));
            }
            Policy p = new Policy(1, "o", List.of("example.com"), new KeySettings(true, "rsa-3072", true),
                    OnError.DEFER, rules, "t.yml", "0");
            for (int m = 0; m < 200; m++) {
                String to = locals[random.nextInt(locals.length)] + "@" + domains[random.nextInt(domains.length)];
                String from = random.nextInt(5) == 0 ? null : locals[random.nextInt(locals.length)] + "@" + domains[random.nextInt(domains.length)];
                Direction d = Direction.values()[random.nextInt(2)];
                Optional<String> fast = p.decide(d, from, to).map(x -> x.rule().name());
                Optional<String> slow = p.explain(d, from, to).decision().map(x -> x.rule().name());
                assertThat(fast).as("%s %s -> %s", d, from, to).isEqualTo(slow);
            }
        }
    }
}
