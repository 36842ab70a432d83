package dev.veil.gateway.correspondents;

import static dev.veil.gateway.correspondents.CorrespondentsFixture.ALIAS_DOMAIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.Policy;
import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.db.AliasDao;
import dev.veil.gateway.db.Database;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultReidentifierTest {
    @TempDir
    Path dir;
    Database db;
    Pseudonymiser pseudonymiser = CorrespondentsFixture.pseudonymiser();
    Policy policy = CorrespondentsFixture.policy();
    AliasDirectory directory;
    VaultReidentifier reidentifier;

    @BeforeEach
    void open() throws Exception {
        db = CorrespondentsFixture.database(dir);
        directory = CorrespondentsFixture.directory(db, pseudonymiser);
        reidentifier = new VaultReidentifier(directory, () -> policy, () -> pseudonymiser);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void resolvesARegisteredAliasToTheRealAddressInAnyCase() throws Exception {
        String alias = directory.register("bob@partner.example", ALIAS_DOMAIN);

        assertThat(alias).matches("c-[a-z2-7]{20}@alias\\.example\\.net");
        assertThat(reidentifier.isAliasAddress(alias)).isTrue();
        assertThat(reidentifier.realAddress(alias)).contains("bob@partner.example");
        assertThat(reidentifier.realAddress("<" + alias.toUpperCase() + ">")).contains("bob@partner.example");
    }

    @Test
    void knowsTheDisplayNamesThePolicyGivesCorrespondents() {
        assertThat(reidentifier.isLabel("Correspondent " + pseudonymiser.label("bob@partner.example"))).isTrue();
        assertThat(reidentifier.isLabel(" Correspondent 7QF2 ")).as("a label of an earlier key").isTrue();
        assertThat(reidentifier.isLabel("Correspondent 7QF")).isFalse();
        assertThat(reidentifier.isLabel("Correspondent 7QF8")).as("8 is not base32").isFalse();
        assertThat(reidentifier.isLabel("Correspondent 7qf2")).isFalse();
        assertThat(reidentifier.isLabel("Bob Partner")).isFalse();
        assertThat(reidentifier.isLabel("Correspondent {token}")).isFalse();
        // a contact's names as Exchange holds them (token, hash or ciphertext of kind n), as Outlook writes them
        String given = pseudonymiser.token("n", "Bob");
        String family = pseudonymiser.hash("n", "Partner");
        String sealed = pseudonymiser.encrypt("n", "Bob Partner".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(reidentifier.isLabel(given)).isTrue();
        assertThat(reidentifier.isLabel(given + " " + family)).isTrue();
        assertThat(reidentifier.isLabel(family + ", " + given)).isTrue();
        assertThat(reidentifier.isLabel(sealed)).isTrue();
        assertThat(reidentifier.isLabel(given + " Partner")).isFalse();
        assertThat(reidentifier.isLabel(pseudonymiser.token("o", "Partner Ltd"))).as("a company, not a name").isFalse();
        assertThat(new VaultReidentifier(directory, () -> null, () -> pseudonymiser).isLabel("Correspondent 7QF2"))
                .as("no policy, no labels").isFalse();
    }

    @Test
    void findsTheRegisteredAliasOfARealAddressAndNoneForOthers() throws Exception {
        String alias = directory.register("bob@partner.example", ALIAS_DOMAIN);

        assertThat(reidentifier.aliasOf("Bob@Partner.Example")).contains(alias);
        assertThat(reidentifier.aliasOf("never-wrote@partner.example")).isEmpty();
        assertThat(reidentifier.aliasOf("no-domain")).isEmpty();
    }

    /**
     * A rule's alias-domain changed: the aliases and Message-ID tokens Exchange already holds, in the old domain, still
     * resolve; a black-box probe's reply to one was relayed unresolved, to the old alias domain as to any other.
     */
    @Test
    void aliasesOfAnAliasDomainThePolicyNoLongerNamesStillResolve() throws Exception {
        String alias = directory.register("bob@partner.example", ALIAS_DOMAIN);
        String token = pseudonymiser.messageId("<20240101.abc@mail.partner.example>", ALIAS_DOMAIN);
        assertThat(reidentifier.isAliasAddress(alias)).isTrue();

        policy = dev.veil.config.PolicyLoader.parse("policy.yml",
                CorrespondentsFixture.POLICY.replace(ALIAS_DOMAIN, "alias2.example.net")).policy().orElseThrow();
        assertThat(VaultReidentifier.aliasDomains(policy)).doesNotContain(ALIAS_DOMAIN);

        assertThat(reidentifier.isAliasAddress(alias)).isTrue();
        assertThat(reidentifier.realAddress(alias)).contains("bob@partner.example");
        assertThat(reidentifier.realMessageId(token)).contains("<20240101.abc@mail.partner.example>");
        assertThat(reidentifier.isAliasAddress("c-abc@alias2.example.net")).as("the new domain").isTrue();
        assertThat(reidentifier.isAliasAddress("c-abc@alias3.example.net")).as("never an alias domain").isFalse();
        // a bounce of mail to bob names the alias Exchange knows him by
        assertThat(reidentifier.aliasOf("bob@partner.example")).contains(alias);
    }

    @Test
    void knowsNothingOfAWellFormedAliasThatWasNeverGiven() {
        String unknown = pseudonymiser.alias("never-wrote@partner.example", ALIAS_DOMAIN);

        assertThat(reidentifier.isAliasAddress(unknown)).isTrue();
        assertThat(reidentifier.realAddress(unknown)).isEmpty();
    }

    @Test
    void refusesMalformedAliases() throws Exception {
        String alias = directory.register("bob@partner.example", ALIAS_DOMAIN);
        String local = alias.substring(0, alias.indexOf('@'));

        for (String malformed : List.of("bob@" + ALIAS_DOMAIN, "c-abc@" + ALIAS_DOMAIN, local + "x@" + ALIAS_DOMAIN,
                local.replace("c-", "d-") + "@" + ALIAS_DOMAIN, "c-" + "0".repeat(20) + "@" + ALIAS_DOMAIN, "@" + ALIAS_DOMAIN,
                local + "@", "", "not an address")) {
            assertThat(reidentifier.realAddress(malformed)).as(malformed).isEmpty();
        }
    }

    @Test
    void aliasesOfForeignDomainsAreNotOurs() throws Exception {
        String alias = directory.register("bob@partner.example", ALIAS_DOMAIN);
        String foreign = alias.replace(ALIAS_DOMAIN, "other.example");

        assertThat(reidentifier.isAliasAddress(foreign)).isFalse();
        assertThat(reidentifier.realAddress(foreign)).isEmpty();
        assertThat(reidentifier.isAliasAddress("bob@example.com")).isFalse();
    }

    @Test
    void aTamperedAliasResolvesToNobody() throws Exception {
        String alias = directory.register("bob@partner.example", ALIAS_DOMAIN);
        char last = alias.charAt(alias.indexOf('@') - 1);
        String tampered = alias.substring(0, alias.indexOf('@') - 1) + (last == 'a' ? 'b' : 'a') + alias.substring(alias.indexOf('@'));

        assertThat(reidentifier.realAddress(tampered)).isEmpty();
    }

    @Test
    void aTamperedDirectoryRowResolvesToNobody() throws Exception {
        String bob = directory.register("bob@partner.example", ALIAS_DOMAIN);
        directory.register("carol@partner.example", ALIAS_DOMAIN);
        String carolsToken = pseudonymiser.token(AliasDirectory.TOKEN_KIND, "carol@partner.example");
        // someone with write access to the database points Bob's alias at Carol, then at garbage
        update(bob, carolsToken);
        assertThat(reidentifier.realAddress(bob)).isEmpty();
        update(bob, "a1-" + "a".repeat(40));
        assertThat(reidentifier.realAddress(bob)).isEmpty();
    }

    @Test
    void twoPeopleNeverShareAnAlias() throws Exception {
        // a row that claims Bob's alias for someone else, as a hash collision would
        String bobsLocal = pseudonymiser.aliasLocalPart("bob@partner.example");
        new AliasDao(db).insertIfAbsent(new AliasEntry(bobsLocal, ALIAS_DOMAIN,
                pseudonymiser.token(AliasDirectory.TOKEN_KIND, "mallory@partner.example"), 1, Instant.now()));

        assertThatThrownBy(() -> directory.register("bob@partner.example", ALIAS_DOMAIN))
                .isInstanceOf(AliasCollisionException.class).hasMessageContaining(bobsLocal)
                .hasMessageNotContaining("bob@").hasMessageNotContaining("mallory");
    }

    @Test
    void concurrentFirstSightingsAgreeOnOneRow() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                // separate directories: no shared cache, as on separate workers or nodes
                AliasDirectory own = CorrespondentsFixture.directory(db, pseudonymiser);
                Callable<String> register = () -> own.register("new@partner.example", ALIAS_DOMAIN);
                results.add(pool.submit(register));
            }
            Set<String> aliases = new HashSet<>();
            for (Future<String> f : results) {
                aliases.add(f.get());
            }
            assertThat(aliases).hasSize(1);
            assertThat(new AliasDao(db).count()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theSameAliasAfterARestart() throws Exception {
        String before = directory.register("bob@partner.example", ALIAS_DOMAIN);
        db.close();
        db = CorrespondentsFixture.database(dir);
        directory = CorrespondentsFixture.directory(db, pseudonymiser);
        reidentifier = new VaultReidentifier(directory, () -> policy, () -> pseudonymiser);

        assertThat(reidentifier.realAddress(before)).contains("bob@partner.example");
        assertThat(directory.register(AliasDirectory.canonical("Bob", "Partner.Example"), ALIAS_DOMAIN)).isEqualTo(before);
    }

    @Test
    void restoresTokenisedMessageIdsOfItsOwnDomainsOnly() {
        String token = pseudonymiser.messageId("<20240101.abc@mail.partner.example>", ALIAS_DOMAIN);

        assertThat(reidentifier.realMessageId(token)).contains("<20240101.abc@mail.partner.example>");
        assertThat(reidentifier.realMessageId(token.replace(ALIAS_DOMAIN, "other.example"))).isEmpty();
        String bare = token.substring(1, token.indexOf('@'));
        String tampered = "<" + bare.substring(0, bare.length() - 1) + (bare.endsWith("a") ? "b" : "a") + "@" + ALIAS_DOMAIN + ">";
        assertThat(reidentifier.realMessageId(tampered)).isEmpty();
        assertThat(reidentifier.realMessageId("<real@partner.example>")).isEmpty();
        assertThat(reidentifier.realMessageId("no id at all")).isEmpty();
    }

    @Test
    void anotherKeySeesNoAliases() throws Exception {
        String alias = directory.register("bob@partner.example", ALIAS_DOMAIN);
        Pseudonymiser other = CorrespondentsFixture.pseudonymiser((byte) 9);
        VaultReidentifier wrongKeys = new VaultReidentifier(CorrespondentsFixture.directory(db, other), () -> policy,
                () -> other);

        assertThat(wrongKeys.realAddress(alias)).isEmpty();
    }

    private void update(String alias, String token) throws Exception {
        try (Connection c = db.connection();
             PreparedStatement s = c.prepareStatement("UPDATE correspondent_alias SET real_token = ? WHERE alias_local = ?")) {
            s.setString(1, token);
            s.setString(2, alias.substring(0, alias.indexOf('@')));
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
    }
}
