package dev.veil.gateway.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Builds the configured step list ({@code queue.pipeline}) from the steps Veil has, by name. */
public final class PipelineSteps {
    /** The steps of {@code queue.pipeline}, by name (VeilApplication wires one of each). */
    public static final List<String> INBOUND = List.of("reject", "authenticate", "skip-encrypted", "pseudonymise",
            "encrypt", "pass", "arc-seal", "relay");
    /** The steps of {@code outbound.pipeline}: the inbound ones and restoring correspondents. */
    public static final List<String> OUTBOUND = List.of("reject", "authenticate", "skip-encrypted", "pseudonymise",
            "encrypt", "pass", "arc-seal", "relay", "restore-correspondents");

    private PipelineSteps() {
    }

    public static List<MailStep> build(List<String> names, Map<String, Supplier<MailStep>> available) {
        return build("queue.pipeline", names, available);
    }

    /** @param setting the configuration key the names come from, for error messages */
    public static List<MailStep> build(String setting, List<String> names, Map<String, Supplier<MailStep>> available) {
        check(setting, names, available.keySet());
        List<MailStep> steps = new ArrayList<>();
        for (String name : names) {
            steps.add(available.get(name).get());
        }
        return steps;
    }

    /**
     * Refuses a step list the gateway could not run: an unknown step, no {@code relay} at the end, {@code
     * authenticate} after a step that rewrites, {@code arc-seal} anywhere but right before {@code relay}. The
     * configuration checks it as it is read, so {@code veil check} catches what the server would refuse.
     *
     * @throws IllegalArgumentException saying what is wrong, in the setting's name
     */
    public static void check(String setting, List<String> names, java.util.Collection<String> known) {
        if (names == null) {
            throw new IllegalArgumentException(setting + ": no steps; the last step must be 'relay'");
        }
        for (String name : names) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException(setting + ": unknown step '" + name + "'; known steps: "
                        + String.join(", ", known));
            }
        }
        if (names.isEmpty() || !"relay".equals(names.get(names.size() - 1))) {
            throw new IllegalArgumentException(setting + ": the last step must be 'relay'");
        }
        // authentication judges the message as it arrived; the seal covers what leaves
        int authenticate = names.indexOf("authenticate");
        for (String rewriting : List.of("encrypt", "pass", "skip-encrypted", "arc-seal")) {
            if (authenticate >= 0 && names.contains(rewriting) && names.indexOf(rewriting) < authenticate) {
                throw new IllegalArgumentException(setting + ": 'authenticate' must come before '" + rewriting
                        + "' (it checks the message as it arrived)");
            }
        }
        if (names.contains("arc-seal") && names.indexOf("arc-seal") != names.size() - 2) {
            throw new IllegalArgumentException(setting + ": 'arc-seal' must come right before 'relay' (the seal"
                    + " must cover exactly what is relayed)");
        }
    }
}
