package dev.veil.gateway.correspondents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.db.AliasDao;
import dev.veil.gateway.db.Database;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory remembers the aliases it has confirmed by address, for the pseudonymiser that made them: asked again,
 * it answers without the database and with the same alias; a different pseudonymiser gets its own aliases, never one
 * remembered from the last; and remembering never gets past a collision.
 */
class AliasDirectoryTest {
    private static final String DOMAIN = CorrespondentsFixture.ALIAS_DOMAIN;

    @TempDir
    Path dir;

    @Test
    void aRememberedAliasBelongsToThePseudonymiserThatMadeIt() throws Exception {
        try (Database db = CorrespondentsFixture.database(dir)) {
            Pseudonymiser first = CorrespondentsFixture.pseudonymiser((byte) 7);
            Pseudonymiser second = CorrespondentsFixture.pseudonymiser((byte) 9);
            AtomicReference<Pseudonymiser> current = new AtomicReference<>(first);
            AliasDirectory directory = new AliasDirectory(new AliasDao(db), current::get, Clock.systemUTC());

            String alias = directory.register("bob@partner.example", DOMAIN);
            assertThat(alias).isEqualTo(first.alias("bob@partner.example", DOMAIN));
            assertThat(directory.register("bob@partner.example", DOMAIN)).isEqualTo(alias);
            assertThat(directory.register("bob@partner.example", "other-alias.example"))
                    .isEqualTo(first.alias("bob@partner.example", "other-alias.example"));

            current.set(second);
            assertThat(directory.register("bob@partner.example", DOMAIN))
                    .isEqualTo(second.alias("bob@partner.example", DOMAIN)).isNotEqualTo(alias);
        }
    }

    @Test
    void anAliasHeldBySomeoneElseIsRefusedEveryTime() throws Exception {
        try (Database db = CorrespondentsFixture.database(dir)) {
            Pseudonymiser p = CorrespondentsFixture.pseudonymiser();
            AliasDao dao = new AliasDao(db);
            AliasDirectory directory = new AliasDirectory(dao, () -> p, Clock.systemUTC());
            String local = p.aliasLocalPart("carol@partner.example");
            // a row for carol's alias that names someone else (as a copied or altered row would)
            dao.insertIfAbsent(new AliasEntry(local, DOMAIN, p.token(AliasDirectory.TOKEN_KIND, "mallory@evil.example"),
                    p.currentVersion(), java.time.Instant.now()));

            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(() -> directory.register("carol@partner.example", DOMAIN))
                        .isInstanceOf(AliasCollisionException.class);
            }
        }
    }
}
