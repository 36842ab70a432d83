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

    /**
     * A file over the limit is refused before it is read whole: a 51 MB policy of comments was read and decoded in full,
     * and a reload under a small heap ended in OutOfMemoryError (a black-box probe). One at the limit is read.
     */
    @Test
    void aPolicyFileOverFourMebibytesIsRefusedUnread(@org.junit.jupiter.api.io.TempDir Path work) throws Exception {
        String valid = PolicyLoader.exampleYaml();
        Path big = work.resolve("big.yml");
        try (java.io.Writer out = Files.newBufferedWriter(big)) {
            out.write(valid);
            String comment = "#" + "x".repeat(998) + "\n";
            for (long written = valid.length(); written <= PolicyLoader.MAX_BYTES; written += comment.length()) {
                out.write(comment);
            }
        }
        PolicyLoad load = PolicyLoader.load(big);
        assertThat(load.hasErrors()).isTrue();
        assertThat(load.problems().get(0).format()).contains("larger than 4 MiB");

        Path atLimit = work.resolve("limit.yml");
        byte[] padded = java.util.Arrays.copyOf(valid.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                PolicyLoader.MAX_BYTES);
        int from = valid.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        java.util.Arrays.fill(padded, from, padded.length, (byte) '\n');
        padded[from] = '#';
        Files.write(atLimit, padded);
        PolicyLoad fits = PolicyLoader.load(atLimit);
        assertThat(fits.hasErrors()).as("%s", fits.problems()).isFalse();
    }
}
