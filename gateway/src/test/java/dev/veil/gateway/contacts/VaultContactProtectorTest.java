package dev.veil.gateway.contacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.ContactField;
import dev.veil.config.ContactTreatment;
import dev.veil.config.ContactsPolicy;
import dev.veil.crypto.KeyException;
import dev.veil.crypto.MasterKey;
import dev.veil.crypto.PseudonymKeys;
import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.db.ContactVaultDao;
import dev.veil.gateway.db.Database;
import ezvcard.VCard;
import ezvcard.VCardVersion;
import ezvcard.property.Email;
import ezvcard.property.StructuredName;
import ezvcard.property.Telephone;
import ezvcard.property.VCardProperty;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class VaultContactProtectorTest {
    private static final String ALICE = "alice@example.com";
    private static final ContactsPolicy DEFAULTS = new ContactsPolicy(Map.of(), "alias.example.net");

    @TempDir
    Path dir;

    private MasterKey master;
    private PseudonymKeys keys;
    private AtomicReference<Pseudonymiser> current;
    private Database database;
    private ContactVaultDao vault;
    private VaultContactProtector protector;

    @BeforeEach
    void open() throws Exception {
        master = MasterKey.generate();
        keys = PseudonymKeys.open(dir.resolve("keys"), master);
        current = new AtomicReference<>(Pseudonymiser.of(keys));
        database = Database.open("jdbc:h2:file:" + dir.resolve("db").resolve("veil") + ";WRITE_DELAY=0");
        vault = new ContactVaultDao(database);
        protector = new VaultContactProtector(current::get, () -> DEFAULTS, vault, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        database.close();
    }

    static Stream<Path> corpus() {
        return ContactCorpus.vcfFiles().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void everyCorpusCardIsRevealedExactlyAndItsSealedFormHoldsNoPersonalValue(Path file) throws Exception {
        for (CardFile.Entry e : CardFile.read(file)) {
            if (!e.ok()) {
                assertThat(e.error().getMessage()).as("a rejected card names its file and line").matches("(?s).*"
                        + java.util.regex.Pattern.quote(file.toString()) + ":[0-9]+: .*");
                continue;
            }
            VCard real = e.card();
            VCard sealed = protector.seal(ALICE, real);
            assertThat(protector.isSealed(sealed)).isTrue();
            assertThat(protector.isSealed(real)).isFalse();

            VCard revealed = protector.reveal(ALICE, sealed.getUid().getValue()).orElseThrow();
            assertThat(revealed.getVersion()).isEqualTo(real.getVersion());
            assertThat(ContactCorpus.properties(revealed)).as(e.location()).containsExactlyElementsOf(ContactCorpus.properties(real));

            String sealedText = ContactCorpus.write(sealed, real.getVersion());
            List<String> values = PersonalValues.of(real);
            assertThat(values).as(e.location() + " has personal values to look for").isNotEmpty();
            for (String value : values) {
                assertThat(PersonalValues.occursIn(value, sealedText)).as(e.location() + ": '" + value + "' in\n" + sealedText).isFalse();
            }
        }
    }

    @Test
    void theSameRealCardGivesTheSameSealedCard() throws Exception {
        VCard real = sample(1);
        VCard a = protector.seal(ALICE, real);
        VCard b = protector.seal(ALICE, real);
        assertThat(a.getUid()).isEqualTo(b.getUid());
        assertThat(vault.vaultIds(ALICE)).as("sealing again replaces, never duplicates").hasSize(1);
        assertThat(a.getStructuredName()).isEqualTo(b.getStructuredName());
        assertThat(a.getEmails()).isEqualTo(b.getEmails());
        assertThat(a.getTelephoneNumbers()).isEqualTo(b.getTelephoneNumbers());
        assertThat(a.getNotes()).as("encrypt has a synthetic IV per contact: a re-run changes nothing in Exchange")
                .isEqualTo(b.getNotes());
        VCard other = sample(2);
        other.getNotes().clear();
        real.getNotes().forEach(n -> other.addNote(n.getValue()));
        assertThat(protector.seal(ALICE, other).getNotes()).as("the same note of another contact looks unrelated")
                .isNotEqualTo(a.getNotes());

        Map<ContactField, ContactTreatment> noEncrypt = new EnumMap<>(ContactField.class);
        for (ContactField f : ContactField.values()) {
            noEncrypt.put(f, ContactTreatment.TOKEN);
        }
        noEncrypt.put(ContactField.PHONES, ContactTreatment.FPE);
        noEncrypt.put(ContactField.EMAILS, ContactTreatment.ALIAS);
        noEncrypt.put(ContactField.PHOTOS, ContactTreatment.DROP);
        ContactsPolicy deterministic = new ContactsPolicy(noEncrypt, "alias.example.net");
        VaultContactProtector p2 = new VaultContactProtector(current::get, () -> deterministic, vault, Clock.systemUTC());
        assertThat(ContactCorpus.properties(p2.seal(ALICE, real))).containsExactlyElementsOf(ContactCorpus.properties(p2.seal(ALICE, real)));

        assertThat(protector.seal("bob@example.com", real).getUid()).as("another mailbox, another vault id").isNotEqualTo(a.getUid());
        VCard edited = sample(1);
        edited.getEmails().get(0).setValue("new.address@partner.example");
        assertThat(protector.seal(ALICE, edited).getUid()).as("same UID, same vault id").isEqualTo(a.getUid());
        assertThat(protector.reveal(ALICE, a.getUid().getValue()).orElseThrow().getEmails().get(0).getValue())
                .isEqualTo("new.address@partner.example");
    }

    /**
     * A contact's address becomes the alias mail from that address gets: the canonical address (lower case, domain in
     * A-labels), so Bob@Bücher.example in a card and bob@xn--bcher-kva.example in mail are one person (a probe's
     * contact got another alias than his mail).
     */
    @Test
    void anInternationalisedAddressGetsTheAliasItsMailGets() throws Exception {
        VCard real = new VCard();
        real.setFormattedName("Bob");
        real.addEmail("Bob@B\u00fccher.example");
        real.addEmail("Carol@Partner.Example");
        VCard sealed = protector.seal(ALICE, real);
        Pseudonymiser p = current.get();
        assertThat(sealed.getEmails()).extracting(ezvcard.property.Email::getValue).containsExactly(
                p.aliasLocalPart(dev.veil.gateway.correspondents.AliasDirectory.canonical("bob",
                        "xn--bcher-kva.example")) + "@alias.example.net",
                p.alias("carol@partner.example", "alias.example.net"));
    }

    @Test
    void sealedCardsKeepTheShapeTheGraphMappingReads() throws Exception {
        VCard sealed = protector.seal(ALICE, sample(2));
        assertThat(sealed.getEmails()).extracting(Email::getValue).allMatch(v -> v.matches("c-[a-z2-7]{20}@alias\\.example\\.net"));
        assertThat(sealed.getTelephoneNumbers()).extracting(Telephone::getText).first().asString().startsWith("+49 ").hasSize("+49 30 1234002".length()).isNotEqualTo("+49 30 1234002");
        assertThat(sealed.getStructuredName().getFamily()).startsWith("n1-");
        assertThat(sealed.getStructuredName().getGiven()).startsWith("n1-");
        assertThat(sealed.getAddresses().get(0).getLocality()).startsWith("a1-");
        assertThat(sealed.getNotes().get(0).getValue()).startsWith("nt1-");
    }

    @Test
    void aliasesNeedAnAliasDomain() {
        VaultContactProtector noDomain = new VaultContactProtector(current::get, ContactsPolicy::defaults, vault, Clock.systemUTC());
        assertThatThrownBy(() -> noDomain.seal(ALICE, sample(1))).isInstanceOf(ContactException.class)
                .hasMessageContaining("contacts.alias-domain");
    }

    @Test
    void aSealedCardIsNeverSealedAgain() throws Exception {
        VCard sealed = protector.seal(ALICE, sample(1));
        assertThatThrownBy(() -> protector.seal(ALICE, sealed)).isInstanceOf(ContactException.class).hasMessageContaining("already sealed");
    }

    @Test
    void forgetLeavesNoRowAndNoCiphertextInTheCompactedFile() throws Exception {
        VCard sealed = protector.seal(ALICE, sample(3));
        VCard other = protector.seal(ALICE, sample(4));
        String id = sealed.getUid().getValue();
        String ciphertext = vault.find(ALICE, id).orElseThrow().ciphertext();

        assertThat(protector.forget(ALICE, id)).isTrue();
        assertThat(protector.forget(ALICE, id)).as("nothing left to forget").isFalse();
        assertThat(protector.reveal(ALICE, id)).isEmpty();
        assertThat(protector.reveal(ALICE, other.getUid().getValue())).as("the other contact stays").isPresent();
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM contact_vault WHERE vault_id = ? OR ciphertext = ?")) {
            s.setString(1, id);
            s.setString(2, ciphertext);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                assertThat(r.getInt(1)).isZero();
            }
        }
        String otherCiphertext = ciphertextOf(other);
        try (Connection c = database.connection(); Statement s = c.createStatement()) {
            s.execute("SHUTDOWN COMPACT");
        }
        byte[] file = Files.readAllBytes(dir.resolve("db").resolve("veil.mv.db"));
        String bytes = new String(file, StandardCharsets.ISO_8859_1);
        assertThat(bytes).as("the kept row's ciphertext is in the file (the check can see ciphertext)")
                .contains(otherCiphertext.substring(20, 80));
        assertThat(bytes).as("the forgotten row's ciphertext is gone after SHUTDOWN COMPACT").doesNotContain(ciphertext.substring(20, 80));
    }

    @Test
    void aWrongMasterKeyOrOtherKeysFailClearly() throws Exception {
        VCard sealed = protector.seal(ALICE, sample(5));
        assertThatThrownBy(() -> PseudonymKeys.open(dir.resolve("keys"), MasterKey.generate()))
                .isInstanceOf(KeyException.class).hasMessageContaining("v1.key");

        Pseudonymiser stranger = Pseudonymiser.of(PseudonymKeys.open(dir.resolve("other-keys"), MasterKey.generate()));
        VaultContactProtector wrong = new VaultContactProtector(() -> stranger, () -> DEFAULTS, vault, Clock.systemUTC());
        assertThatThrownBy(() -> wrong.reveal(ALICE, sealed.getUid().getValue())).isInstanceOf(ContactException.class)
                .hasMessageContaining("cannot be decrypted").hasMessageContaining(sealed.getUid().getValue());

        VaultContactProtector noKeys = new VaultContactProtector(() -> {
            throw new IllegalStateException("pseudonym keys unavailable: bad master key");
        }, () -> DEFAULTS, vault, Clock.systemUTC());
        assertThatThrownBy(() -> noKeys.seal(ALICE, sample(6))).isInstanceOf(ContactException.class).hasMessageContaining("bad master key");
    }

    @Test
    void aRowMovedToAnotherMailboxIsNotRevealed() throws Exception {
        VCard sealed = protector.seal(ALICE, sample(7));
        String id = sealed.getUid().getValue();
        try (Connection c = database.connection(); PreparedStatement s = c.prepareStatement("UPDATE contact_vault SET mailbox = ? WHERE vault_id = ?")) {
            s.setString(1, "mallory@example.com");
            s.setString(2, id);
            s.executeUpdate();
        }
        assertThatThrownBy(() -> protector.reveal("mallory@example.com", id)).isInstanceOf(ContactException.class)
                .hasMessageContaining("another row's card");
    }

    @Test
    void keyRotationResealsTheVaultResumablyAfterAnInterruption() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            ids.add(protector.seal(ALICE, sample(100 + i)).getUid().getValue());
        }
        keys.rotate();
        Pseudonymiser rotated = Pseudonymiser.of(keys);
        current.set(rotated);
        // one card sealed again under the new key before the job reaches it: the job merges, never duplicates
        VCard again = protector.seal(ALICE, sample(149));

        VaultResealJob job = new VaultResealJob(rotated, vault, Clock.systemUTC());
        assertThat(job.remaining()).isEqualTo(50);
        List<int[]> seen = new ArrayList<>();
        assertThatThrownBy(() -> job.run((done, total) -> {
            seen.add(new int[] {done, total});
            if (done == 20) {
                throw new IllegalStateException("killed");
            }
        })).hasMessage("killed");
        assertThat(seen).hasSize(20);
        assertThat(seen.get(19)).containsExactly(20, 50);
        assertThat(job.remaining()).as("the row in hand when it stopped was committed").isEqualTo(30);

        VaultResealJob.Report report = job.run((done, total) -> { });
        assertThat(report.total()).isEqualTo(30);
        assertThat(report.resealed() + report.merged()).isEqualTo(30);
        assertThat(job.remaining()).isZero();
        assertThat(vault.vaultIds(ALICE)).as("one row per contact").hasSize(50).allMatch(id -> id.startsWith("vid2-"));
        try (Connection c = database.connection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT COUNT(*) FROM contact_vault WHERE key_version <> 2 OR ciphertext NOT LIKE 'vc2-%'")) {
            r.next();
            assertThat(r.getInt(1)).isZero();
        }
        for (int i = 0; i < 50; i++) {
            VCard byOldId = protector.reveal(ALICE, ids.get(i)).orElseThrow();
            assertThat(ContactCorpus.properties(byOldId)).as("old vault id " + i).containsExactlyElementsOf(ContactCorpus.properties(sample(100 + i)));
            assertThat(protector.seal(ALICE, sample(100 + i)).getUid().getValue()).as("sealing after rotation finds the re-sealed row")
                    .startsWith("vid2-");
        }
        assertThat(vault.vaultIds(ALICE)).hasSize(50).contains(again.getUid().getValue());
        assertThat(job.run((done, total) -> { }).total()).as("re-running a finished job does nothing").isZero();
    }

    @Test
    void theImportedBytesAreKeptWhileTheCardIsUnchangedAndSurviveKeyRotation() throws Exception {
        byte[] file = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1:M\u00fcller;J\u00fcrgen\r\n"
                + "UID:abc-1\r\nTEL;WORK;VOICE:+49 30 1234567\r\nEND:VCARD\r\n").getBytes(StandardCharsets.ISO_8859_1);
        CardFile.Entry entry = CardFile.read("one.vcf", file).get(0);
        assertThat(entry.original()).as("the card's bytes as they are in the file").isEqualTo(file);
        String vid = protector.seal(ALICE, entry.card(), entry.original()).getUid().getValue();
        assertThat(protector.revealVaulted(ALICE, vid).orElseThrow().original()).isEqualTo(file);

        // sealed again as it is (a sync that found nothing new, a re-seal): the bytes stay
        protector.seal(ALICE, CardFile.read("one.vcf", file).get(0).card());
        assertThat(protector.revealVaulted(ALICE, vid).orElseThrow().original()).isEqualTo(file);

        // after a key rotation the re-sealed row still has them
        keys.rotate();
        Pseudonymiser rotated = Pseudonymiser.of(keys);
        current.set(rotated);
        new VaultResealJob(rotated, vault, Clock.systemUTC()).run((done, total) -> { });
        assertThat(protector.revealVaulted(ALICE, vid).orElseThrow().original()).isEqualTo(file);

        // edited (in Outlook, merged by a sync): the old bytes would be wrong, so they go
        VCard edited = CardFile.read("one.vcf", file).get(0).card();
        edited.getTelephoneNumbers().get(0).setText("+49 30 7654321");
        String editedVid = protector.seal(ALICE, edited).getUid().getValue();
        VaultedCard after = protector.revealVaulted(ALICE, editedVid).orElseThrow();
        assertThat(after.original()).isNull();
        assertThat(after.card().getTelephoneNumbers().get(0).getText()).isEqualTo("+49 30 7654321");
    }

    @Test
    void theSealedFormIsWhatVeilWroteEvenAfterThePolicyOrTheKeysChanged() throws Exception {
        VCard real = sample(8);
        VCard written = protector.seal(ALICE, real);
        String vid = written.getUid().getValue();

        Map<ContactField, ContactTreatment> keepNames = new EnumMap<>(ContactField.class);
        keepNames.put(ContactField.NAMES, ContactTreatment.KEEP);
        AtomicReference<ContactsPolicy> policy = new AtomicReference<>(new ContactsPolicy(keepNames, "alias.example.net"));
        VaultContactProtector later = new VaultContactProtector(current::get, policy::get, vault, Clock.systemUTC());
        keys.rotate();
        current.set(Pseudonymiser.of(keys));

        VCard form = later.sealedForm(ALICE, real, vid);
        assertThat(ContactCorpus.properties(form)).as("what Exchange holds, not what the new policy and keys would make")
                .containsExactlyElementsOf(ContactCorpus.properties(written));
        assertThat(ContactCorpus.properties(later.seal(ALICE, real))).as("a new seal follows the new policy")
                .isNotEqualTo(ContactCorpus.properties(written));
        assertThat(later.isStale(vid)).isTrue();
    }

    @Test
    void rowsWrittenBeforeOriginalBytesWereKeptStillOpen() throws Exception {
        VCard real = sample(7);
        String vid = protector.seal(ALICE, real).getUid().getValue();
        Pseudonymiser p = current.get();
        byte[] header = ("veil-vault-card-1\n" + ALICE + "\n" + vid + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] card = CardCodec.encode(real);
        byte[] v1 = java.util.Arrays.copyOf(header, header.length + card.length);
        System.arraycopy(card, 0, v1, header.length, card.length);
        vault.put(ALICE, vid, p.currentVersion(), p.encrypt(VaultContactProtector.VAULT_KIND, v1), java.time.Instant.now());

        VaultedCard back = protector.revealVaulted(ALICE, vid).orElseThrow();
        assertThat(back.original()).isNull();
        assertThat(ContactCorpus.properties(back.card())).containsExactlyElementsOf(ContactCorpus.properties(real));
    }

    /** A contact with a name, two emails, two phone numbers, an address and a note (the benchmark's shape too). */
    static VCard sample(int i) {
        VCard card = new VCard(VCardVersion.V3_0);
        card.setUid(new ezvcard.property.Uid("urn:uuid:00000000-0000-0000-0000-" + String.format("%012d", i)));
        card.setFormattedName("Jürgen Müller-" + i);
        StructuredName n = new StructuredName();
        n.setFamily("Müller-" + i);
        n.setGiven("Jürgen");
        card.setStructuredName(n);
        card.addEmail("juergen.mueller" + i + "@partner.example", ezvcard.parameter.EmailType.WORK);
        card.addEmail("jm" + i + "@private.example", ezvcard.parameter.EmailType.HOME);
        card.addTelephoneNumber(String.format("+49 30 1234%03d", i % 1000), ezvcard.parameter.TelephoneType.WORK);
        card.addTelephoneNumber(String.format("+44 20 7946 %04d", i % 10000), ezvcard.parameter.TelephoneType.CELL);
        ezvcard.property.Address adr = new ezvcard.property.Address();
        adr.setStreetAddress("Hauptstraße " + i);
        adr.setLocality("Berlin");
        adr.setPostalCode("10115");
        adr.setCountry("Germany");
        card.addAddress(adr);
        card.addNote("Met at the trade fair in " + (2000 + i % 25) + "; prefers calls after 10.");
        return card;
    }

    private String ciphertextOf(VCard sealed) throws Exception {
        return vault.find(ALICE, sealed.getUid().getValue()).orElseThrow().ciphertext();
    }

    @SuppressWarnings("unused")
    private static List<VCardProperty> props(VCard c) {
        return ContactCorpus.properties(c);
    }
}
