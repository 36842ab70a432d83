package dev.veil.gateway.cli;

import dev.veil.crypto.KeyException;
import dev.veil.crypto.OpenReport;
import dev.veil.crypto.PgpMimeOpener;
import dev.veil.crypto.SmimeOpener;
import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.core.KeyService;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code veil decrypt FILE.eml [--out FILE]}: opens an S/MIME or PGP/MIME message Veil (or anyone) encrypted to a
 * key in Veil's store —
 * current or old user keys, escrow — and writes the original message, protected header fields included.
 */
public final class DecryptCommand extends ConfiguredCommand<VeilConfiguration> {

    public DecryptCommand() {
        super("decrypt", "Decrypt an S/MIME or PGP/MIME message with Veil's keys and write the original");
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("message").help("the encrypted .eml file");
        subparser.addArgument("--out").help("where to write the original (default: standard output)");
        addFileArgument(subparser);
    }

    /** PGP/MIME (multipart/encrypted) or else S/MIME, by the top-level Content-Type. */
    private static boolean isPgpMime(Path message) throws java.io.IOException {
        try (InputStream in = Files.newInputStream(message)) {
            return dev.veil.crypto.HeaderBlock.read(in).first("Content-Type")
                    .map(f -> f.value().toLowerCase(java.util.Locale.ROOT).startsWith("multipart/encrypted"))
                    .orElse(false);
        }
    }

    @Override
    protected void run(Bootstrap<VeilConfiguration> bootstrap, Namespace ns, VeilConfiguration config) throws Exception {
        Path message = Path.of(ns.getString("message"));
        boolean openpgp = isPgpMime(message);
        String out = ns.getString("out");
        Path target = out == null ? null : Path.of(out);
        Path partial = target == null ? null : target.resolveSibling(target.getFileName() + ".partial");
        try (InputStream in = Files.newInputStream(message);
             OutputStream plain = partial == null ? new BufferedOutputStream(System.out)
                     : new BufferedOutputStream(Files.newOutputStream(partial))) {
            OpenReport report = openpgp
                    ? new PgpMimeOpener(KeyService.openOpenPgpKeys(config.dataPath(), System.getenv())).open(in, plain)
                    : new SmimeOpener(KeyService.openKeys(config.dataPath(), System.getenv())).open(in, plain);
            plain.flush();
            System.err.println("decrypted " + message + " with key " + report);
        } catch (KeyException | java.io.IOException e) {
            if (partial != null) {
                Files.deleteIfExists(partial);
            }
            System.err.println(message + ": " + e.getMessage());
            System.exit(1);
        }
        if (partial != null) {
            Files.move(partial, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
