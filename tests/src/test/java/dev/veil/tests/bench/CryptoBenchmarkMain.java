package dev.veil.tests.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * JMH's {@code Main} for {@link CryptoBenchmark} that, after JMH's own table, prints each message benchmark in MB/s
 * and the ratios the crypto issue sets targets for. {@code tests/bench/run-jmh.sh} uses it when the benchmark regex
 * names {@code Crypto}; the arguments are JMH's. Listing and help requests go to JMH's {@code Main} unchanged.
 */
public final class CryptoBenchmarkMain {
    private static final String RAW = "rawJceAesGcm";
    private static final String RAW_DECRYPT = "rawJceAesGcmDecrypt";

    private CryptoBenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions options = new CommandLineOptions(args);
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        Collection<RunResult> results = new Runner(options).run();
        summarise(results);
    }

    static void summarise(Collection<RunResult> results) {
        // benchmark -> size -> µs per message
        Map<String, Map<Integer, Double>> micros = new TreeMap<>();
        List<String> perSecond = new ArrayList<>();
        for (RunResult run : results) {
            String name = run.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.') + 1);
            Result<?> primary = run.getPrimaryResult();
            String size = run.getParams().getParam("size");
            String unit = primary.getScoreUnit();
            if (size != null && unit.equals("us/op")) {
                micros.computeIfAbsent(name, n -> new TreeMap<>()).put(Integer.parseInt(size), primary.getScore());
            } else if (unit.equals("ops/s")) {
                perSecond.add(String.format(Locale.ROOT, "  %-22s %12.0f ops/s  (%.1f µs each)", name,
                        primary.getScore(), 1e6 / primary.getScore()));
            }
        }
        if (micros.isEmpty() && perSecond.isEmpty()) {
            return;
        }
        System.out.println();
        System.out.println("Crypto summary (MB = 10^6 bytes of the original message; ratio = time / raw SunJCE AES-GCM "
                + "time on the same bytes: encrypt against rawJceAesGcm, decrypt against rawJceAesGcmDecrypt)");
        List<Integer> sizes = micros.values().stream().flatMap(m -> m.keySet().stream()).distinct().sorted().toList();
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "  %-22s", "benchmark"));
        for (int size : sizes) {
            header.append(String.format(Locale.ROOT, " | %9s %8s %6s", size + " B", "MB/s", "ratio"));
        }
        System.out.println(header);
        List<String> names = new ArrayList<>(micros.keySet());
        names.sort(Comparator.comparing(CryptoBenchmarkMain::order).thenComparing(n -> n));
        for (String name : names) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-22s", name));
            Map<Integer, Double> base = micros.get(isDecrypt(name) ? RAW_DECRYPT : RAW);
            for (int size : sizes) {
                Double us = micros.get(name).get(size);
                if (us == null) {
                    line.append(String.format(Locale.ROOT, " | %9s %8s %6s", "-", "-", "-"));
                    continue;
                }
                Double b = base == null ? null : base.get(size);
                line.append(String.format(Locale.ROOT, " | %7.1fus %8.1f %6s", us, size / us,
                        b == null ? "-" : String.format(Locale.ROOT, "%.2fx", us / b)));
            }
            System.out.println(line);
        }
        int mb = 1048576;
        System.out.println();
        target(micros, "cmsSealGcmDer", RAW, mb, 1.5, "CMS AES-GCM encryption (DER) of 1 MB");
        target(micros, "smimeSealGcm", RAW, mb, 3.0, "full S/MIME GCM message (base64 MIME) of 1 MB");
        if (!perSecond.isEmpty()) {
            System.out.println();
            System.out.println("Per-message public-key operations:");
            perSecond.forEach(System.out::println);
        }
    }

    private static void target(Map<String, Map<Integer, Double>> micros, String name, String base, int size, double limit,
                               String what) {
        Double us = micros.getOrDefault(name, Map.of()).get(size);
        Double b = micros.getOrDefault(base, Map.of()).get(size);
        if (us == null || b == null) {
            return;
        }
        double ratio = us / b;
        System.out.printf(Locale.ROOT, "  target: %s within %.1fx of raw: %.2fx (%.1f / %.1f µs) -> %s%n", what, limit,
                ratio, us, b, ratio <= limit ? "MET" : "NOT MET");
    }

    private static boolean isDecrypt(String name) {
        return name.contains("Open") || name.contains("Decrypt");
    }

    private static int order(String name) {
        if (name.startsWith("raw")) {
            return isDecrypt(name) ? 5 : 0;
        }
        return isDecrypt(name) ? 6 : 1;
    }
}
