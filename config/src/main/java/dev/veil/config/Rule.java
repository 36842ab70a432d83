package dev.veil.config;

import java.util.Optional;

/**
 * One ordered rule of the policy; {@code line} is where it starts in the file, for explain and errors.
 *
 * @param pseudonymise correspondent pseudonymisation that accompanies the action, when the rule asks for it
 */
public record Rule(String name, int line, Match match, Action action, Optional<Action.Pseudonymise> pseudonymise) {

    public Rule {
        if (action instanceof Action.Pseudonymise) {
            throw new IllegalArgumentException("pseudonymise accompanies encrypt or pass; it is not an action of its own");
        }
        pseudonymise = pseudonymise == null ? Optional.empty() : pseudonymise;
    }

    public Rule(String name, int line, Match match, Action action) {
        this(name, line, match, action, Optional.empty());
    }
}
