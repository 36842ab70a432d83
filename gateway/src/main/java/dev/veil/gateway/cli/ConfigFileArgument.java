package dev.veil.gateway.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * The trailing {@code [config.yml]} every command takes, after an optional positional argument of the command's own
 * ({@code keys rotate [ADDRESS]}, {@code policy check [POLICY]}): argparse gives a lone positional argument to the
 * first, so the command decides here whether it is really the config file. Dropwizard reads the config file from
 * the namespace's {@code file} afterwards.
 */
final class ConfigFileArgument {
    private static final String FILE = "file";
    private static final Pattern TOP_LEVEL_KEY = Pattern.compile("(?m)^([A-Za-z][\\w-]*)\\s*:");
    /** Top-level sections of a policy ({@code dev.veil.config.PolicyReader}); a Veil config has none of them. */
    private static final Set<String> POLICY_KEYS = Set.of("version", "organisation", "domains", "keys", "rules",
            "on-error", "contacts");
    /** Top-level settings of a Veil config (VeilConfiguration and Dropwizard's); a policy has none of them. */
    private static final Set<String> CONFIG_KEYS = Set.of("dataDir", "policyFile", "databaseUrl", "adminToken", "smtp",
            "upstream", "queue", "wkd", "outbound", "auth", "arc", "graph", "server", "logging", "metrics");

    private ConfigFileArgument() {
    }

    /** {@code keys rotate config.yml}: an argument without an {@code @} is no address, so it is the config file. */
    static void takeUnlessAddress(Namespace ns, String dest) {
        String value = ns.getString(dest);
        if (value != null && ns.get(FILE) == null && !value.contains("@")) {
            move(ns, dest);
        }
    }

    /**
     * {@code policy check config.yml}: a lone file is the config file when its top level has Veil settings
     * ({@code dataDir}, {@code server}, …) and no policy section ({@code version}, {@code rules}, …); anything else
     * stays the policy, so that {@code check} reports what is wrong with it.
     */
    static void takeIfConfig(Namespace ns, String dest) {
        String value = ns.getString(dest);
        if (value != null && ns.get(FILE) == null && isVeilConfig(Path.of(value))) {
            move(ns, dest);
        }
    }

    static boolean isVeilConfig(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException | RuntimeException e) {
            return false; // unreadable: let the command say so about the argument it was given as
        }
        Matcher m = TOP_LEVEL_KEY.matcher(text);
        boolean config = false;
        while (m.find()) {
            if (POLICY_KEYS.contains(m.group(1))) {
                return false;
            }
            config |= CONFIG_KEYS.contains(m.group(1));
        }
        return config;
    }

    private static void move(Namespace ns, String dest) {
        Map<String, Object> attrs = ns.getAttrs();
        attrs.put(FILE, attrs.get(dest));
        attrs.put(dest, null);
    }
}
