package dev.veil.gateway.cli;

import dev.veil.crypto.PseudonymKeys;
import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.contacts.ContactProtectors;
import dev.veil.gateway.contacts.ContactSync;
import dev.veil.gateway.contacts.PseudonymRotation;
import dev.veil.gateway.contacts.SyncSummary;
import dev.veil.gateway.contacts.VCardFiles;
import dev.veil.gateway.contacts.VaultResealJob;
import dev.veil.gateway.contacts.VaultedCard;
import dev.veil.gateway.core.KeyService;
import dev.veil.gateway.db.ContactJournalDao;
import dev.veil.gateway.db.ContactVaultDao;
import dev.veil.gateway.db.Database;
import dev.veil.gateway.graph.ContactMapping;
import dev.veil.gateway.graph.GraphClient;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.MutuallyExclusiveGroup;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import net.sourceforge.argparse4j.inf.Subparsers;

/**
 * {@code veil contacts import|seal|sync|export|rotate-keys}: real contacts into Veil's vault, sealed contacts into Exchange
 * (Microsoft Graph, {@code graph.*}). Each prints a progress bar when stdout is a terminal, one summary line per
 * mailbox, every failed contact on stderr (file:line or the Graph request), and exits 1 if anything failed. All are
 * safe to re-run.
 */
public final class ContactsCommand extends ConfiguredCommand<VeilConfiguration> {

    public ContactsCommand() {
        super("contacts", "Keep contacts in Veil's vault and only sealed versions in Exchange: import, seal, sync, export");
    }

    /** A missing or broken config.yml, or a file that cannot be read, is one line on stderr, not a stack trace. */
    @Override
    public void onError(io.dropwizard.core.cli.Cli cli, Namespace namespace, Throwable e) {
        CliErrors.report(cli, e);
    }

    @Override
    public void configure(Subparser subparser) {
        Subparsers actions = subparser.addSubparsers().dest("action").title("actions");
        Subparser importCards = actions.addParser("import")
                .help("vault the cards of a .vcf file and create their sealed contacts in the mailbox");
        importCards.addArgument("vcf").metavar("FILE.vcf|DIR")
                .help("a vCard 2.1, 3.0 or 4.0 file (one or more cards), or a directory: its *.vcf files in name order");
        importCards.addArgument("--mailbox").required(true).help("the mailbox (Graph user) the contacts belong to");
        addFileArgument(importCards);

        Subparser seal = actions.addParser("seal")
                .help("replace the plaintext contacts already in Exchange by sealed ones (real data and photos to the"
                        + " vault; photos replaced by a placeholder)");
        MutuallyExclusiveGroup which = seal.addMutuallyExclusiveGroup().required(true);
        which.addArgument("--mailbox").help("one mailbox");
        which.addArgument("--all").action(Arguments.storeTrue())
                .help("graph.mailboxes and every mailbox Veil has sealed contacts of");
        addFileArgument(seal);

        Subparser sync = actions.addParser("sync")
                .help("a delta round: seal contacts made or edited in Outlook, merge edits, forget deleted ones");
        sync.addArgument("--mailbox").help("one mailbox (default: graph.mailboxes and every mailbox Veil knows)");
        addFileArgument(sync);

        Subparser rotate = actions.addParser("rotate-keys")
                .help("new pseudonym keys: re-seal the vault and every sealed contact under them (resumable)");
        addFileArgument(rotate);

        Subparser export = actions.addParser("export").help("write the mailbox's real contacts (from the vault) to a .vcf");
        export.addArgument("--mailbox").required(true).help("the mailbox");
        export.addArgument("--out").required(true).help("the .vcf file to write");
        addFileArgument(export);
    }

    @Override
    protected void run(Bootstrap<VeilConfiguration> bootstrap, Namespace ns, VeilConfiguration config) throws Exception {
        String action = ns.getString("action");
        List<SyncSummary> summaries = new ArrayList<>();
        int exit = 0;
        try (Database db = config.getDatabaseUrl().isBlank() ? Database.openEmbedded(config.dataPath())
                : Database.open(config.getDatabaseUrl())) {
            ContactJournalDao journal = new ContactJournalDao(db, Clock.systemUTC());
            GraphClient graph = GraphClient.open(config.getGraph(), bootstrap.getObjectMapper());
            ContactSync contacts = new ContactSync(graph, ContactProtectors.open(config, db),
                    new ContactMapping(ContactMapping.Dialect.of(config.getGraph().getBaseUrl())), journal);
            ContactSync.Progress progress = TerminalProgress.forStdout();
            switch (action) {
                case "import" -> {
                    List<VCardFiles.Card> cards = new ArrayList<>();
                    for (Path file : vcfFiles(Path.of(ns.getString("vcf")))) {
                        try {
                            List<VCardFiles.Card> read = VCardFiles.read(file);
                            if (read.isEmpty()) {
                                System.err.println("veil contacts import: " + file + ": no vCard in the file (expected"
                                        + " BEGIN:VCARD ... END:VCARD)");
                                exit = 1;
                            }
                            for (VCardFiles.Card card : read) {
                                card.notes().forEach(n -> System.err.println(card.where() + ": note: " + n));
                            }
                            cards.addAll(read);
                        } catch (IOException | RuntimeException e) {
                            System.err.println("veil contacts import: cannot read " + file + ": " + e.getMessage());
                            exit = 1;
                        }
                    }
                    summaries.add(contacts.importCards(ns.getString("mailbox"), cards, progress));
                }
                case "seal", "sync" -> {
                    for (String mailbox : mailboxes(ns, config, journal)) {
                        try {
                            summaries.add("seal".equals(action) ? contacts.seal(mailbox, progress)
                                    : contacts.sync(mailbox, progress));
                        } catch (IOException e) {
                            System.err.println("veil contacts " + action + " " + mailbox + ": " + e.getMessage());
                            exit = 1;
                        }
                    }
                }
                case "rotate-keys" -> exit = rotateKeys(config, db, graph, journal, progress, summaries);
                default -> {
                    String mailbox = ns.getString("mailbox");
                    SyncSummary summary = new SyncSummary("export", mailbox);
                    List<VaultedCard> cards = contacts.export(mailbox, summary, progress);
                    // the real contacts, as the vault holds them: readable by the admin only, like the key exports
                    dev.veil.crypto.PrivateFiles.replace(Path.of(ns.getString("out")).toAbsolutePath(),
                            VCardFiles.writeFile(cards));
                    summaries.add(summary);
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            System.out.flush();
            System.err.println("veil contacts " + action + ": " + e.getMessage());
            System.exit(1);
        }
        for (SyncSummary s : summaries) {
            s.errors().forEach(e -> System.err.println("veil contacts " + action + ": " + e));
            System.out.println(s.line());
            if (s.failed() > 0) {
                exit = 1;
            }
        }
        System.out.flush();
        System.err.flush();
        if (exit != 0) {
            System.exit(exit);
        }
    }

    /**
     * Rotates the pseudonym keys (or finishes a rotation an earlier run began), re-seals every vault row under the
     * new version, then every sealed contact of every known mailbox. The marker stays until all of it succeeded, so a
     * re-run finishes the job instead of rotating again.
     */
    private int rotateKeys(VeilConfiguration config, Database db, GraphClient graph, ContactJournalDao journal,
                           ContactSync.Progress progress, List<SyncSummary> summaries) throws Exception {
        PseudonymKeys keys = KeyService.openPseudonymKeys(config.dataPath(), System.getenv());
        PseudonymRotation rotation = new PseudonymRotation(keys, KeyService.keyDirectory(config.dataPath()));
        PseudonymRotation.Start start = rotation.begin();
        System.out.println(start.resumed()
                ? "resuming the pseudonym key rotation to version " + start.version()
                : "pseudonym keys rotated: version " + start.version() + " seals from now on");
        VaultResealJob job = new VaultResealJob(Pseudonymiser.of(keys), new ContactVaultDao(db), Clock.systemUTC());
        int rows = job.remaining();
        progress.start("vault", rows);
        VaultResealJob.Report report = job.run((done, total) -> progress.advance());
        progress.finish();
        System.out.println("vault: " + (report.resealed() + report.merged()) + " rows re-sealed under version "
                + report.keyVersion() + (report.merged() > 0 ? " (" + report.merged() + " merged into a newer row)" : ""));
        // opened after the rotation: it must seal with the new version
        ContactSync contacts = new ContactSync(graph, ContactProtectors.open(config, db),
                new ContactMapping(ContactMapping.Dialect.of(config.getGraph().getBaseUrl())), journal);
        int exit = 0;
        for (String mailbox : knownMailboxes(config, journal)) {
            try {
                summaries.add(contacts.rekey(mailbox, progress));
            } catch (IOException e) {
                System.err.println("veil contacts rotate-keys " + mailbox + ": " + e.getMessage());
                exit = 1;
            }
        }
        if (exit == 0 && summaries.stream().allMatch(s -> s.failed() == 0)) {
            rotation.finish();
            System.out.println("rotation to version " + start.version() + " complete; restart the server so that it"
                    + " seals with the new version (it reads the keys at start)");
        } else {
            System.err.println("veil contacts rotate-keys: not finished — run it again: it goes on with version "
                    + start.version() + " (it does not rotate again)");
            exit = 1;
        }
        return exit;
    }

    private static List<Path> vcfFiles(Path given) throws IOException {
        if (!Files.isDirectory(given)) {
            return List.of(given);
        }
        try (var files = Files.list(given)) {
            List<Path> vcf = files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".vcf"))
                    .filter(Files::isRegularFile).sorted().toList();
            if (vcf.isEmpty()) {
                throw new IllegalArgumentException(given + " has no .vcf files");
            }
            return vcf;
        }
    }

    private static List<String> mailboxes(Namespace ns, VeilConfiguration config, ContactJournalDao journal)
            throws Exception {
        String one = ns.getString("mailbox");
        if (one != null) {
            return List.of(one);
        }
        Set<String> all = knownMailboxes(config, journal);
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no mailboxes: name one with --mailbox, or list them in graph.mailboxes");
        }
        return List.copyOf(all);
    }

    /** {@code graph.mailboxes} and every mailbox the journal has contacts of, lower-cased, in that order. */
    private static Set<String> knownMailboxes(VeilConfiguration config, ContactJournalDao journal) throws SQLException {
        Set<String> all = new LinkedHashSet<>();
        config.getGraph().getMailboxes().forEach(m -> all.add(m.toLowerCase(Locale.ROOT)));
        all.addAll(journal.mailboxes());
        return all;
    }
}
