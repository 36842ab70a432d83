package dev.veil.gateway.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Builds the configured step list ({@code queue.pipeline}) from the steps Veil has, by name. */
public final class PipelineSteps {
    private PipelineSteps() {
    }

    public static List<MailStep> build(List<String> names, Map<String, Supplier<MailStep>> available) {
        List<MailStep> steps = new ArrayList<>();
        for (String name : names) {
            Supplier<MailStep> step = available.get(name);
            if (step == null) {
                throw new IllegalArgumentException("queue.pipeline: unknown step '" + name + "'; known steps: "
                        + String.join(", ", available.keySet()));
            }
            steps.add(step.get());
        }
        if (steps.isEmpty() || !"relay".equals(steps.get(steps.size() - 1).name())) {
            throw new IllegalArgumentException("queue.pipeline: the last step must be 'relay'");
        }
        return steps;
    }
}
