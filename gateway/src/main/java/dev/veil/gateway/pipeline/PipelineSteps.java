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
        return build("queue.pipeline", names, available);
    }

    /** @param setting the configuration key the names come from, for error messages */
    public static List<MailStep> build(String setting, List<String> names, Map<String, Supplier<MailStep>> available) {
        List<MailStep> steps = new ArrayList<>();
        for (String name : names) {
            Supplier<MailStep> step = available.get(name);
            if (step == null) {
                throw new IllegalArgumentException(setting + ": unknown step '" + name + "'; known steps: "
                        + String.join(", ", available.keySet()));
            }
            steps.add(step.get());
        }
        if (steps.isEmpty() || !"relay".equals(steps.get(steps.size() - 1).name())) {
            throw new IllegalArgumentException(setting + ": the last step must be 'relay'");
        }
        // authentication judges the message as it arrived; the seal covers what leaves
        int authenticate = names.indexOf("authenticate");
        for (String rewriting : List.of("encrypt", "pass", "skip-encrypted", "arc-seal")) {
            if (authenticate >= 0 && names.contains(rewriting) && names.indexOf(rewriting) < authenticate) {
                throw new IllegalArgumentException("queue.pipeline: 'authenticate' must come before '" + rewriting
                        + "' (it checks the message as it arrived)");
            }
        }
        if (names.contains("arc-seal") && names.indexOf("arc-seal") != names.size() - 2) {
            throw new IllegalArgumentException("queue.pipeline: 'arc-seal' must come right before 'relay' (the seal"
                    + " must cover exactly what is relayed)");
        }
        return steps;
    }
}
