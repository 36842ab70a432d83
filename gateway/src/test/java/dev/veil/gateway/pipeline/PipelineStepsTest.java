package dev.veil.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class PipelineStepsTest {
    private static final Map<String, Supplier<MailStep>> AVAILABLE = available();

    @Test
    void buildsTheStepsInTheConfiguredOrder() {
        List<MailStep> steps = PipelineSteps.build(List.of("reject", "pass", "relay"), AVAILABLE);

        assertThat(steps).extracting(MailStep::name).containsExactly("reject", "pass", "relay");
    }

    @Test
    void refusesAnUnknownStepAndListsTheKnownOnes() {
        assertThatThrownBy(() -> PipelineSteps.build(List.of("reject", "encrpyt", "relay"), AVAILABLE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("queue.pipeline: unknown step 'encrpyt'; known steps: reject, pass, encrypt, authenticate, arc-seal, relay");
    }

    @Test
    void refusesAPipelineThatDoesNotEndWithRelay() {
        assertThatThrownBy(() -> PipelineSteps.build(List.of("relay", "pass"), AVAILABLE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("queue.pipeline: the last step must be 'relay'");
    }

    @Test
    void refusesAnEmptyPipeline() {
        assertThatThrownBy(() -> PipelineSteps.build(List.of(), AVAILABLE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("last step must be 'relay'");
    }

    @Test
    void authenticationComesBeforeRewritingAndTheArcSealRightBeforeRelay() {
        assertThat(PipelineSteps.build(List.of("reject", "authenticate", "encrypt", "pass", "arc-seal", "relay"),
                AVAILABLE)).hasSize(6);
        assertThatThrownBy(() -> PipelineSteps.build(List.of("encrypt", "authenticate", "relay"), AVAILABLE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'authenticate' must come before 'encrypt'");
        assertThatThrownBy(() -> PipelineSteps.build(List.of("authenticate", "arc-seal", "encrypt", "relay"), AVAILABLE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'arc-seal' must come right before 'relay'");
    }

    private static Map<String, Supplier<MailStep>> available() {
        Map<String, Supplier<MailStep>> m = new LinkedHashMap<>();
        m.put("reject", RejectStep::new);
        m.put("pass", PassStep::new);
        m.put("encrypt", () -> named("encrypt"));
        m.put("authenticate", () -> named("authenticate"));
        m.put("arc-seal", () -> named("arc-seal"));
        m.put("relay", () -> new RelayStep(new MessageProcessorTest.RecordingUpstream()));
        return m;
    }

    private static MailStep named(String name) {
        return new MailStep() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean applies(Mail mail) {
                return false;
            }

            @Override
            public void service(Mail mail) {
            }
        };
    }
}
