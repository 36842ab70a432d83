package dev.veil.tests.bench;

import dev.veil.config.Direction;
import dev.veil.config.Policy;
import dev.veil.tests.bench.PolicyFixture.Probe;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link Policy#decide} per recipient at 10, 100 and 1,000 rules (policy issue target: under 2 µs per recipient at
 * 1,000 rules). Each invocation decides a fixed batch of inbound recipients; JMH divides by the batch size, so the
 * scores are nanoseconds per recipient, including normalising the sender and recipient addresses.
 *
 * <ul>
 *   <li>{@code mix}: hits on every kind of rule in the first, middle and last domain groups, the sender block list,
 *       and misses, interleaved.
 *   <li>{@code byPosition}: the same split by where the matching rule sits: {@code early} (first group),
 *       {@code middle}, {@code late} (last group) and {@code miss} (no rule matches).
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class PolicyDecideBenchmark {
    static final int MIX = 32;
    static final int BATCH = 16;

    @State(Scope.Benchmark)
    public static class Mix {
        @Param({"10", "100", "1000"})
        public int rules;

        Policy policy;
        String[] senders;
        String[] recipients;

        @Setup(Level.Trial)
        public void setUp() {
            policy = PolicyFixture.load(rules);
            int d = PolicyFixture.domains(rules);
            List<Probe> all = new ArrayList<>();
            List<Probe> early = PolicyFixture.hits(rules, 0);
            List<Probe> middle = PolicyFixture.hits(rules, d / 2);
            List<Probe> late = PolicyFixture.hits(rules, d - 1);
            List<Probe> misses = PolicyFixture.misses(rules);
            // interleave so consecutive lookups do not hit the same tables
            for (int k = 0; all.size() < MIX - 1; k++) {
                all.add(early.get(k % early.size()));
                all.add(middle.get((k + 3) % middle.size()));
                all.add(late.get((k + 6) % late.size()));
                all.add(misses.get(k % misses.size()));
            }
            all = new ArrayList<>(all.subList(0, MIX - 1));
            all.add(PolicyFixture.blocked());
            PolicyFixture.check(policy, all);
            senders = all.stream().map(Probe::sender).toArray(String[]::new);
            recipients = all.stream().map(Probe::recipient).toArray(String[]::new);
        }
    }

    @State(Scope.Benchmark)
    public static class ByPosition {
        @Param({"10", "100", "1000"})
        public int rules;

        @Param({"early", "middle", "late", "miss"})
        public String position;

        Policy policy;
        String[] senders;
        String[] recipients;

        @Setup(Level.Trial)
        public void setUp() {
            policy = PolicyFixture.load(rules);
            int d = PolicyFixture.domains(rules);
            List<Probe> probes = switch (position) {
                case "early" -> PolicyFixture.hits(rules, 0);
                case "middle" -> PolicyFixture.hits(rules, d / 2);
                case "late" -> PolicyFixture.hits(rules, d - 1);
                case "miss" -> PolicyFixture.misses(rules);
                default -> throw new IllegalArgumentException("position " + position);
            };
            List<Probe> batch = PolicyFixture.cycle(probes, BATCH);
            PolicyFixture.check(policy, batch);
            senders = batch.stream().map(Probe::sender).toArray(String[]::new);
            recipients = batch.stream().map(Probe::recipient).toArray(String[]::new);
        }
    }

    @Benchmark
    @OperationsPerInvocation(MIX)
    public void mix(Mix s, Blackhole bh) {
        Policy policy = s.policy;
        String[] from = s.senders;
        String[] to = s.recipients;
        for (int i = 0; i < to.length; i++) {
            bh.consume(policy.decide(Direction.INBOUND, from[i], to[i]));
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void byPosition(ByPosition s, Blackhole bh) {
        Policy policy = s.policy;
        String[] from = s.senders;
        String[] to = s.recipients;
        for (int i = 0; i < to.length; i++) {
            bh.consume(policy.decide(Direction.INBOUND, from[i], to[i]));
        }
    }
}
