package dev.veil.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.yaml.snakeyaml.nodes.Node;

/** Reads the {@code authentication} section. */
final class AuthenticationReader {
    static final List<String> KEYS = List.of("dmarc-failure");
    static final List<String> DMARC_FAILURE = Arrays.stream(AuthenticationPolicy.DmarcFailure.values())
            .map(AuthenticationPolicy.DmarcFailure::key).toList();

    private final Problems problems;

    AuthenticationReader(Problems problems) {
        this.problems = problems;
    }

    AuthenticationPolicy read(Node section) {
        YamlMap m = section == null ? null : YamlMap.of(section, "'authentication'", KEYS, problems);
        if (m == null) {
            return AuthenticationPolicy.defaults();
        }
        Scalar s = m.text("dmarc-failure");
        if (s == null) {
            return AuthenticationPolicy.defaults();
        }
        if (List.of("reject", "bounce", "drop", "discard", "delete").contains(s.value())) {
            problems.error(s.node(), "dmarc-failure cannot be '" + s.value() + "': Veil has already accepted the"
                    + " message, so it never throws it away — choose quarantine (hold it for an admin), tag or pass");
            return null;
        }
        String value = YamlMap.oneOf(s, "dmarc-failure value", DMARC_FAILURE, problems);
        return value == null ? null
                : new AuthenticationPolicy(AuthenticationPolicy.DmarcFailure.valueOf(value.toUpperCase(Locale.ROOT)));
    }
}
