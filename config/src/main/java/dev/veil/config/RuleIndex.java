package dev.veil.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the first matching rule without scanning every rule: recipient patterns are filed under the exact address, the
 * exact domain or the parent domain they name, so a lookup is a handful of hash probes plus a scan of the few rules that
 * match any recipient or use a glob no table can hold. A glob on the local part ({@code sales-*@example.com}) is filed
 * under its domain and the literal text before its first wildcard, so a lookup probes each prefix of the local part
 * instead of trying every glob of the domain. Each table lists rule numbers in ascending order, so the first
 * candidate that also passes the sender and direction checks is that table's answer; the smallest answer wins.
 */
final class RuleIndex {
    private final CompiledRule[] rules;
    private final Map<String, int[]> byAddress;
    private final Map<String, int[]> byDomain;
    private final Map<String, int[]> byParentDomain;
    private final Map<String, int[]> globsByPrefix;
    private final Map<String, Integer> longestPrefix;
    private final int[] anyRecipient;
    private final int[] otherGlobs;

    RuleIndex(List<Rule> ruleList) {
        rules = new CompiledRule[ruleList.size()];
        Map<String, List<Integer>> address = new HashMap<>();
        Map<String, List<Integer>> domain = new HashMap<>();
        Map<String, List<Integer>> parent = new HashMap<>();
        Map<String, List<Integer>> globs = new HashMap<>();
        Map<String, Integer> longest = new HashMap<>();
        List<Integer> any = new ArrayList<>();
        List<Integer> other = new ArrayList<>();
        for (int i = 0; i < rules.length; i++) {
            CompiledRule r = CompiledRule.of(i, ruleList.get(i));
            rules[i] = r;
            if (r.recipients().isEmpty()) {
                any.add(i);
            }
            for (AddressPattern p : r.recipients()) {
                switch (p.kind()) {
                    case ANY -> any.add(i);
                    case ADDRESS -> add(address, p.local() + "@" + p.domain(), i);
                    case DOMAIN -> add(domain, p.domain(), i);
                    case SUBDOMAINS -> add(parent, p.domain().substring(2), i);
                    case GLOB -> {
                        if (Glob.isGlob(p.domain())) {
                            other.add(i);
                        } else {
                            String prefix = literalPrefix(p.local());
                            add(globs, p.domain() + "@" + prefix, i);
                            longest.merge(p.domain(), prefix.length(), Math::max);
                        }
                    }
                    case NULL_SENDER -> {
                        // never a recipient; the loader rejects it, a hand-built policy simply never matches it
                    }
                }
            }
        }
        byAddress = freeze(address);
        byDomain = freeze(domain);
        byParentDomain = freeze(parent);
        globsByPrefix = freeze(globs);
        longestPrefix = Map.copyOf(longest);
        anyRecipient = ints(any);
        otherGlobs = ints(other);
    }

    CompiledRule[] compiled() {
        return rules;
    }

    /** Index of the first matching rule, or -1. */
    int first(Direction direction, String[] sender, String[] recipient) {
        int best = Integer.MAX_VALUE;
        String domain = recipient[1];
        best = scan(byAddress.get(recipient[0] + "@" + domain), best, direction, sender, recipient);
        best = scan(byDomain.get(domain), best, direction, sender, recipient);
        Integer longest = longestPrefix.get(domain);
        if (longest != null) {
            String local = recipient[0];
            for (int n = 0; n <= Math.min(longest, local.length()); n++) {
                best = scan(globsByPrefix.get(domain + "@" + local.substring(0, n)), best, direction, sender, recipient);
            }
        }
        for (int dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
            best = scan(byParentDomain.get(domain.substring(dot + 1)), best, direction, sender, recipient);
        }
        best = scan(otherGlobs, best, direction, sender, recipient);
        best = scan(anyRecipient, best, direction, sender, recipient);
        return best == Integer.MAX_VALUE ? -1 : best;
    }

    // Tables hold candidates by recipient only; the full check (which also re-checks globs) decides.
    private int scan(int[] candidates, int best, Direction direction, String[] sender, String[] recipient) {
        if (candidates == null) {
            return best;
        }
        for (int i : candidates) {
            if (i >= best) {
                return best;
            }
            if (rules[i].matches(direction, sender, recipient)) {
                return i;
            }
        }
        return best;
    }

    private static String literalPrefix(String glob) {
        int i = 0;
        while (i < glob.length() && glob.charAt(i) != '*' && glob.charAt(i) != '?') {
            i++;
        }
        return glob.substring(0, i);
    }

    private static void add(Map<String, List<Integer>> map, String key, int rule) {
        List<Integer> list = map.computeIfAbsent(key, k -> new ArrayList<>());
        if (list.isEmpty() || list.get(list.size() - 1) != rule) {
            list.add(rule);
        }
    }

    private static Map<String, int[]> freeze(Map<String, List<Integer>> map) {
        Map<String, int[]> out = new HashMap<>(map.size() * 2);
        map.forEach((k, v) -> out.put(k, ints(v)));
        return out;
    }

    private static int[] ints(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).distinct().toArray();
    }
}
