package dev.veil.gateway.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KnownParametersMailCmdHandlerTest {
    @Test
    void theParametersAreWhatFollowsTheReversePath() {
        assertThat(KnownParametersMailCmdHandler.parameters("FROM:<a@b.example> SIZE=10 BODY=8BITMIME"))
                .isEqualTo(" SIZE=10 BODY=8BITMIME");
        assertThat(KnownParametersMailCmdHandler.parameters("from: <> RET=HDRS")).isEqualTo(" RET=HDRS");
        assertThat(KnownParametersMailCmdHandler.parameters("FROM:<a@b.example>")).isEmpty();
    }

    @Test
    void rcptParametersFollowTheForwardPath() {
        assertThat(KnownParametersMailCmdHandler.parameters("TO:<a@b.example> NOTIFY=NEVER", "TO"))
                .isEqualTo(" NOTIFY=NEVER");
        assertThat(KnownParametersMailCmdHandler.parameters("to: <a@b.example>", "TO")).isEmpty();
        assertThat(KnownParametersMailCmdHandler.parameters("FROM:<a@b.example> X=1", "TO")).isNull();
    }

    @Test
    void aQuotedLocalPartMayHoldTheClosingBracket() {
        assertThat(KnownParametersMailCmdHandler.parameters("FROM:<\"odd> FOO=1\"@b.example> SIZE=1"))
                .isEqualTo(" SIZE=1");
        assertThat(KnownParametersMailCmdHandler.parameters("FROM:<\"a\\\"> X=1\"@b.example>")).isEmpty();
    }

    @Test
    void otherShapesAreLeftToJamesChecks() {
        assertThat(KnownParametersMailCmdHandler.parameters("FROM:a@b.example SIZE=1")).isNull();
        assertThat(KnownParametersMailCmdHandler.parameters("TO:<a@b.example>")).isNull();
        assertThat(KnownParametersMailCmdHandler.parameters("FROM:<a@b.example SIZE=1")).isNull();
        assertThat(KnownParametersMailCmdHandler.parameters(null)).isNull();
    }

    @Test
    void theReversePathIsWhatIsInsideTheBrackets() {
        assertThat(KnownParametersMailCmdHandler.reversePath("FROM:<a@b.example> SIZE=10")).isEqualTo("a@b.example");
        assertThat(KnownParametersMailCmdHandler.reversePath("from: <>")).isEmpty();
        assertThat(KnownParametersMailCmdHandler.reversePath("FROM:<\"odd> x\"@b.example> SIZE=1"))
                .isEqualTo("\"odd> x\"@b.example");
        assertThat(KnownParametersMailCmdHandler.reversePath("FROM:a@b.example")).isNull();
    }

    @Test
    void aSenderNeedsADomainAndNotAnAddressLiteral() {
        assertThat(KnownParametersMailCmdHandler.senderProblem("zqx.nodomain")).startsWith("5.1.7").contains("no domain");
        assertThat(KnownParametersMailCmdHandler.senderProblem("zqx@")).startsWith("5.1.7");
        assertThat(KnownParametersMailCmdHandler.senderProblem("\"a@b\"")).startsWith("5.1.7");
        assertThat(KnownParametersMailCmdHandler.senderProblem("zqx@[192.0.2.9]")).startsWith("5.1.7")
                .contains("Address literals");
        assertThat(KnownParametersMailCmdHandler.senderProblem("\"a@b\"@partner.example")).isNull();
        assertThat(KnownParametersMailCmdHandler.senderProblem("bob@partner.example")).isNull();
        assertThat(KnownParametersMailCmdHandler.senderProblem("")).isNull();
        assertThat(KnownParametersMailCmdHandler.senderProblem(null)).isNull();
        assertThat(KnownParametersMailCmdHandler.senderProblem("@relay.example:bob@partner.example")).isNull();
    }
}
