package dev.veil.tests.bench;

import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link PolicyLoader#parse} of the generated policy at 10, 100 and 1,000 rules: YAML, validation (including the
 * pairwise shadowing check) and compiling the rule index — what a reload of {@code policy.yml} costs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class PolicyParseBenchmark {
    @Param({"10", "100", "1000"})
    public int rules;

    String yaml;

    @Setup(Level.Trial)
    public void setUp() {
        PolicyFixture.load(rules); // fails loudly on any error
        yaml = PolicyFixture.yaml(rules);
    }

    @Benchmark
    public PolicyLoad parse() {
        return PolicyLoader.parse("policy.yml", yaml);
    }
}
