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
                .hasMessage("queue.pipeline: unknown step 'encrpyt'; known steps: reject, pass, relay");
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

    private static Map<String, Supplier<MailStep>> available() {
        Map<String, Supplier<MailStep>> m = new LinkedHashMap<>();
        m.put("reject", RejectStep::new);
        m.put("pass", PassStep::new);
        m.put("relay", () -> new RelayStep(new MessageProcessorTest.RecordingUpstream()));
        return m;
    }
}
