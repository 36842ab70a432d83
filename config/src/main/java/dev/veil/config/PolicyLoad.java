package dev.veil.config;

import java.util.List;
import java.util.Optional;

/** The outcome of loading a policy file: the policy when there are no errors, and every problem found. */
public record PolicyLoad(Optional<Policy> policy, List<Problem> problems) {
    public PolicyLoad {
        problems = List.copyOf(problems);
    }

    public boolean hasErrors() {
        return problems.stream().anyMatch(p -> p.severity() == Problem.Severity.ERROR);
    }
}
