package dev.veil.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.Decision;
import dev.veil.config.Direction;
import dev.veil.config.Policy;
import dev.veil.config.PolicyLoader;
import dev.veil.gateway.core.QueueId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay step is the last line of fail-closed: it checks what leaves against the decision. */
class RelayStepTest {
    @TempDir
    Path dir;
    private Policy policy;
    private MessageProcessorTest.RecordingUpstream upstream;
    private Path original;

    @BeforeEach
    void setUp() throws Exception {
        String yaml = PolicyLoader.exampleYaml().replace("rules:\n  - name: protect-example", """
                rules:
                  - name: pass-public
                    match:
                      recipient: public@example.com
                    pass:
                      reason: published anyway
                  - name: retired
                    match:
                      recipient: old@example.com
                    reject:
                      message: gone
                  - name: protect-example""");
        policy = PolicyLoader.parse("policy.yml", yaml).policy().orElseThrow();
        upstream = new MessageProcessorTest.RecordingUpstream();
        original = Files.writeString(dir.resolve("original.eml"), "Subject: plain\r\n\r\nplain text\r\n");
    }

    @Test
    void refusesToRelayPlaintextWhenThePolicySaysEncrypt() {
        Mail mail = mail("bob@example.com");
        assertThat(mail.decision().action()).isInstanceOf(dev.veil.config.Action.Encrypt.class);

        assertThatThrownBy(() -> new RelayStep(upstream).service(mail))
                .isInstanceOf(FailClosedException.class)
                .hasMessageContaining("not encrypted");
        assertThat(upstream.sent).isEmpty();
    }

    @Test
    void relaysTheSealedContentWhenThePolicySaysEncrypt() throws Exception {
        Mail mail = mail("bob@example.com");
        Path sealed = Files.writeString(dir.resolve("sealed.eml"), "sealed\r\n");
        mail.replaceContent(sealed, Mail.Protection.SEALED, List.of("fp"));

        new RelayStep(upstream).service(mail);

        assertThat(upstream.sent).singleElement().satisfies(s -> {
            assertThat(new String(s.content(), StandardCharsets.US_ASCII)).isEqualTo("sealed\r\n");
            assertThat(s.recipients()).containsExactly("bob@example.com");
            assertThat(s.sender()).isEqualTo("alice@sender.test");
        });
    }

    @Test
    void relaysAlreadyEncryptedContentUnchanged() throws Exception {
        Mail mail = mail("bob@example.com");
        mail.markAlreadyEncrypted();

        new RelayStep(upstream).service(mail);

        assertThat(upstream.sent).singleElement()
                .satisfies(s -> assertThat(s.content()).isEqualTo(Files.readAllBytes(original)));
    }

    @Test
    void relaysPlaintextWhenThePolicySaysPass() throws Exception {
        new RelayStep(upstream).service(mail("public@example.com"));

        assertThat(upstream.sent).hasSize(1);
    }

    @Test
    void refusesAMessageThePolicyRejects() {
        Mail mail = mail("old@example.com");

        assertThatThrownBy(() -> new RelayStep(upstream).service(mail)).isInstanceOf(FailClosedException.class);
        assertThat(upstream.sent).isEmpty();
    }

    private Mail mail(String recipient) {
        Decision decision = policy.decide(Direction.INBOUND, "alice@sender.test", recipient).orElseThrow();
        return new Mail(new QueueId("01HZX5K3Q2ABCDEFGHJK"), "alice@sender.test", List.of(recipient), policy, decision,
                original);
    }
}
