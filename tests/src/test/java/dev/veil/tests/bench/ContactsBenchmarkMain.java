package dev.veil.tests.bench;

import java.util.Collection;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * JMH's {@code Main} for {@link ContactsBenchmark} that, after JMH's own table, prints contacts/s for the
 * pseudonymiser alone and with the vault, and whether the contacts issue's target (20,000 contacts/s for the
 * pseudonymiser alone) is met. {@code tests/bench/run-jmh.sh} uses it when the benchmark regex names {@code Contacts}.
 */
public final class ContactsBenchmarkMain {
    static final double TARGET = 20_000;

    private ContactsBenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions options = new CommandLineOptions(args);
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        Collection<RunResult> results = new Runner(options).run();
        System.out.println();
        System.out.printf(Locale.ROOT, "Contacts (%,d per invocation, one thread; a name, two emails, two phones, an address, a note):%n",
                ContactsBenchmark.CONTACTS);
        for (RunResult run : results) {
            String name = run.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.') + 1);
            double perSecond = run.getPrimaryResult().getScore();
            System.out.printf(Locale.ROOT, "  %-32s %10.0f contacts/s  (%.1f µs each)%n", name, perSecond, 1e6 / perSecond);
            if (name.equals("pseudonymiseAlone")) {
                System.out.printf(Locale.ROOT, "  target: pseudonymiser alone at least %.0f contacts/s: %.0f -> %s%n", TARGET,
                        perSecond, perSecond >= TARGET ? "MET" : "NOT MET");
            }
        }
    }
}
