package dev.veil.gateway.correspondents;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.config.Policy;
import dev.veil.config.PolicyLoad;
import dev.veil.config.PolicyLoader;
import org.junit.jupiter.api.Test;

/** The stand-in Reidentifier: knows the alias domains of the policy, resolves nothing. */
class AliasDomainsOnlyTest {
    static Policy policyWithAliasDomain(String aliasDomain) {
        String yaml = PolicyLoader.exampleYaml().replace("      subject: \"[encrypted]\"\n",
                "      subject: \"[encrypted]\"\n    pseudonymise:\n      alias-domain: " + aliasDomain + "\n");
        PolicyLoad load = PolicyLoader.parse("policy.yml", yaml);
        assertThat(load.hasErrors()).as("%s", load.problems()).isFalse();
        Policy policy = load.policy().orElseThrow();
        assertThat(policy.rules().get(0).pseudonymise()).isPresent();
        return policy;
    }

    @Test
    void addressesInThePolicysAliasDomainAreAliasesAndNoneResolves() {
        AliasDomainsOnly aliases = new AliasDomainsOnly(() -> policyWithAliasDomain("alias.example.net"));

        assertThat(aliases.isAliasAddress("c-7qf2@alias.example.net")).isTrue();
        assertThat(aliases.isAliasAddress("<C-7QF2@ALIAS.Example.Net.>")).isTrue();
        assertThat(aliases.isAliasAddress("anything@alias.example.net")).isTrue();
        assertThat(aliases.isAliasAddress("bob@partner.example")).isFalse();
        assertThat(aliases.isAliasAddress("c-7qf2@sub.alias.example.net")).isFalse();
        assertThat(aliases.isAliasAddress("no-at-sign")).isFalse();
        assertThat(aliases.realAddress("c-7qf2@alias.example.net")).isEmpty();
        assertThat(aliases.realMessageId("<t@alias.example.net>")).isEmpty();
    }

    @Test
    void withoutPseudonymisationOrWithoutAPolicyNothingIsAnAlias() {
        assertThat(new AliasDomainsOnly(() -> PolicyLoader.parse("policy.yml", PolicyLoader.exampleYaml())
                .policy().orElseThrow()).isAliasAddress("c-1@alias.example.net")).isFalse();
        assertThat(new AliasDomainsOnly(() -> null).isAliasAddress("c-1@alias.example.net")).isFalse();
    }

    @Test
    void internationalisedAliasDomainsMatchInEitherForm() {
        AliasDomainsOnly aliases = new AliasDomainsOnly(() -> policyWithAliasDomain("xn--alias-bcher-zhb.example"));

        assertThat(aliases.isAliasAddress("c-1@alias-bücher.example")).isTrue();
        assertThat(aliases.isAliasAddress("c-1@xn--alias-bcher-zhb.example")).isTrue();
    }
}
