package dev.veil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file in {@code broken/} is loaded and its problems compared, line for line, with the sibling
 * {@code .expected} file: exactly the compiler-style lines an admin would see, line and column included.
 */
class BrokenPolicyTest {

    static Stream<String> brokenFiles() throws IOException, URISyntaxException {
        try (Stream<Path> files = Files.list(dir())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenFiles")
    void reportsExactlyTheExpectedProblems(String file) throws Exception {
        Path yml = dir().resolve(file);
        List<String> expected = Files.readAllLines(dir().resolve(file.replace(".yml", ".expected")), StandardCharsets.UTF_8)
                .stream().filter(l -> !l.isBlank()).toList();

        PolicyLoad load = PolicyLoader.load(yml);

        assertThat(load.problems().stream().map(Problem::format).toList()).containsExactlyElementsOf(expected);
        boolean expectsErrors = expected.stream().anyMatch(l -> l.contains(": error: "));
        assertThat(load.hasErrors()).isEqualTo(expectsErrors);
        assertThat(load.policy().isPresent()).isEqualTo(!expectsErrors);
    }

    @Test
    void thereAreAtLeastFortyBrokenPolicies() throws Exception {
        assertThat(brokenFiles().filter(f -> {
            try {
                return Files.readString(dir().resolve(f.replace(".yml", ".expected"))).contains(": error: ");
            } catch (IOException | URISyntaxException e) {
                throw new AssertionError(e);
            }
        }).count()).isGreaterThanOrEqualTo(40);
    }

    private static Path dir() throws URISyntaxException {
        return Path.of(BrokenPolicyTest.class.getResource("/broken").toURI());
    }
}
