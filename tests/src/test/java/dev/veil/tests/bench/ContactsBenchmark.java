package dev.veil.tests.bench;

import dev.veil.config.ContactsPolicy;
import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.contacts.ContactException;
import dev.veil.gateway.contacts.ContactSealer;
import dev.veil.gateway.contacts.VaultContactProtector;
import dev.veil.gateway.db.ContactVaultDao;
import dev.veil.gateway.db.Database;
import ezvcard.VCard;
import ezvcard.VCardVersion;
import ezvcard.parameter.EmailType;
import ezvcard.parameter.TelephoneType;
import ezvcard.property.Address;
import ezvcard.property.StructuredName;
import ezvcard.property.Uid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Pseudonymise and re-identify 10,000 contacts on one thread (contacts issue target: at least 20,000 contacts/s for
 * the pseudonymiser alone). Each contact has a name (FN and N), two emails, two phone numbers, an address and a note,
 * sealed with the default policy (names token, emails alias, phones fpe, address and note encrypt). One invocation
 * handles all 10,000, and JMH divides by 10,000: the scores are contacts per second.
 *
 * <ul>
 *   <li>{@code pseudonymiseAlone}: {@code ContactSealer.seal} (the vault id and every field's pseudonym), no vault;
 *   <li>{@code pseudonymiseAndReidentifyAlone}: the same, then every reversible field pseudonym turned back with the
 *       pseudonymiser (name tokens revealed, phone FPE reversed, address and note decrypted; aliases are keyed
 *       hashes, re-identified through the vault);
 *   <li>{@code sealAndRevealWithVault}: {@code VaultContactProtector.seal} then {@code reveal} against an H2 file
 *       database with the gateway's settings ({@code WRITE_DELAY=0}): the real card's lossless form encrypted into
 *       its row, and read back and decrypted.
 * </ul>
 * {@code tests/bench/run-jmh.sh Contacts} runs them and prints the contacts/s summary.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Threads(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 3, time = 3)
public class ContactsBenchmark {
    static final int CONTACTS = 10_000;
    static final ContactsPolicy POLICY = new ContactsPolicy(Map.of(), "alias.bench.example");

    @State(Scope.Benchmark)
    public static class Contacts {
        Pseudonymiser pseudonymiser;
        VCard[] cards;
        String[] ids;

        @Setup(Level.Trial)
        public void setUp() {
            byte[] secret = new byte[64];
            new SecureRandom().nextBytes(secret);
            TreeMap<Integer, byte[]> secrets = new TreeMap<>();
            secrets.put(1, secret);
            pseudonymiser = Pseudonymiser.ofSecrets(secrets);
            cards = new VCard[CONTACTS];
            ids = new String[CONTACTS];
            for (int i = 0; i < CONTACTS; i++) {
                cards[i] = contact(i);
                ids[i] = ContactSealer.vaultId(pseudonymiser, "alice@bench.example", cards[i]);
            }
        }
    }

    @State(Scope.Benchmark)
    public static class Vault {
        Path dir;
        Database database;
        VaultContactProtector protector;

        @Setup(Level.Trial)
        public void setUp(Contacts contacts) throws Exception {
            dir = Files.createTempDirectory("veil-contacts-bench");
            database = Database.open("jdbc:h2:file:" + dir.resolve("veil") + ";WRITE_DELAY=0");
            protector = new VaultContactProtector(() -> contacts.pseudonymiser, () -> POLICY, new ContactVaultDao(database),
                    Clock.systemUTC());
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            database.close();
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(CONTACTS)
    public void pseudonymiseAlone(Contacts s, Blackhole bh) throws ContactException {
        for (int i = 0; i < CONTACTS; i++) {
            VCard real = s.cards[i];
            bh.consume(ContactSealer.seal(s.pseudonymiser, POLICY, real,
                    ContactSealer.vaultId(s.pseudonymiser, "alice@bench.example", real)));
        }
    }

    @Benchmark
    @OperationsPerInvocation(CONTACTS)
    public void pseudonymiseAndReidentifyAlone(Contacts s, Blackhole bh) throws ContactException {
        Pseudonymiser p = s.pseudonymiser;
        for (int i = 0; i < CONTACTS; i++) {
            VCard real = s.cards[i];
            VCard sealed = ContactSealer.seal(p, POLICY, real, ContactSealer.vaultId(p, "alice@bench.example", real));
            bh.consume(p.reveal("n", sealed.getFormattedName().getValue()));
            bh.consume(p.reveal("n", sealed.getStructuredName().getFamily()));
            bh.consume(p.reveal("n", sealed.getStructuredName().getGiven()));
            for (var tel : sealed.getTelephoneNumbers()) {
                bh.consume(p.revealFpeDigits("p", tel.getText(), 1));
            }
            Address a = sealed.getAddresses().get(0);
            bh.consume(p.decrypt("a", a.getStreetAddress()));
            bh.consume(p.decrypt("a", a.getLocality()));
            bh.consume(p.decrypt("a", a.getPostalCode()));
            bh.consume(p.decrypt("a", a.getCountry()));
            bh.consume(p.decrypt("nt", sealed.getNotes().get(0).getValue()));
        }
    }

    @Benchmark
    @OperationsPerInvocation(CONTACTS)
    public void sealAndRevealWithVault(Contacts s, Vault v, Blackhole bh) throws ContactException {
        for (int i = 0; i < CONTACTS; i++) {
            VCard sealed = v.protector.seal("alice@bench.example", s.cards[i]);
            bh.consume(v.protector.reveal("alice@bench.example", sealed.getUid().getValue()));
        }
    }

    /** A name, two emails, two phone numbers, an address and a note; a UID as phones and Outlook give one. */
    static VCard contact(int i) {
        VCard card = new VCard(VCardVersion.V3_0);
        card.setUid(new Uid("urn:uuid:6f1c2a4e-0000-4000-8000-" + String.format("%012d", i)));
        card.setFormattedName("Jürgen Müller " + i);
        StructuredName n = new StructuredName();
        n.setFamily("Müller " + i);
        n.setGiven("Jürgen");
        card.setStructuredName(n);
        card.addEmail("juergen.mueller." + i + "@partner.example", EmailType.WORK);
        card.addEmail("jm" + i + "@mail.private.example", EmailType.HOME);
        card.addTelephoneNumber(String.format("+49 30 %07d", i), TelephoneType.WORK);
        card.addTelephoneNumber(String.format("+44 7700 %06d", i), TelephoneType.CELL);
        Address adr = new Address();
        adr.setStreetAddress("Hauptstraße " + (i % 200 + 1));
        adr.setLocality("Berlin");
        adr.setPostalCode(String.format("%05d", 10115 + i % 900));
        adr.setCountry("Germany");
        card.addAddress(adr);
        card.addNote("Met at the trade fair in " + (2000 + i % 25) + "; prefers calls after 10. Customer number " + i + ".");
        return card;
    }
}
