package dev.veil.gateway.cli;

import dev.veil.crypto.OpenReport;
import dev.veil.crypto.PgpMimeOpener;
import dev.veil.crypto.SmimeOpener;
import dev.veil.crypto.VeilKeys;
import dev.veil.gateway.VeilConfiguration;
import dev.veil.gateway.core.KeyService;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code veil decrypt FILE.eml [--out FILE]}: opens an S/MIME or PGP/MIME message Veil (or anyone) encrypted to a
 * key in Veil's store, or the bare ciphertext openssl and gpg write ({@link CiphertextForm}) —
 * current or old user keys, escrow — and writes the original message, protected header fields included.
 *
 * <p>The openers stream plaintext before the GCM tag or the OpenPGP MDC at the end is checked, so the plaintext is
 * staged in a file and handed on only once it is verified: to {@code --out} by a rename, or to standard output from
 * an owner-only temporary file that is deleted whatever happens.
 */
public final class DecryptCommand extends ConfiguredCommand<VeilConfiguration> {

    public DecryptCommand() {
        super("decrypt", "Decrypt an S/MIME or PGP/MIME message with Veil's keys and write the original");
    }

    /** A missing or broken config.yml, or a file that cannot be read, is one line on stderr, not a stack trace. */
    @Override
    public void onError(io.dropwizard.core.cli.Cli cli, Namespace namespace, Throwable e) {
        CliErrors.report(cli, e);
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("message").help("the encrypted .eml file, or bare CMS (DER/PEM) or OpenPGP data");
        subparser.addArgument("--out").help("where to write the original (default: standard output, once verified)");
        addFileArgument(subparser);
    }

    /** PGP/MIME (multipart/encrypted) or else S/MIME, by the top-level Content-Type. */
    private static boolean isPgpMime(Path message) throws IOException {
        try (InputStream in = Files.newInputStream(message)) {
            return dev.veil.crypto.HeaderBlock.read(in).first("Content-Type")
                    .map(f -> f.value().toLowerCase(java.util.Locale.ROOT).startsWith("multipart/encrypted"))
                    .orElse(false);
        }
    }

    @Override
    protected void run(Bootstrap<VeilConfiguration> bootstrap, Namespace ns, VeilConfiguration config) throws Exception {
        Path message = Path.of(ns.getString("message"));
        String out = ns.getString("out");
        Path target = out == null ? null : Path.of(out);
        int exit = 0;
        Path staging = null;
        try {
            staging = target == null
                    ? Files.createTempFile("veil-decrypt-", ".eml",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : target.resolveSibling(target.getFileName() + ".partial");
            CiphertextForm form = CiphertextForm.of(message);
            boolean openpgp = form == CiphertextForm.OPENPGP || form == CiphertextForm.MESSAGE && isPgpMime(message);
            OpenReport report;
            try (InputStream in = Files.newInputStream(message);
                 OutputStream plain = new BufferedOutputStream(Files.newOutputStream(staging))) {
                if (openpgp) {
                    PgpMimeOpener opener = new PgpMimeOpener(KeyService.openOpenPgpKeys(config.dataPath(), System.getenv()));
                    report = form == CiphertextForm.OPENPGP ? opener.openMessage(in, plain) : opener.open(in, plain);
                } else {
                    SmimeOpener opener = new SmimeOpener(KeyService.openKeys(config.dataPath(), System.getenv()));
                    report = switch (form) {
                        case CMS_DER -> opener.openCms(in, plain);
                        case CMS_PEM -> opener.openCms(CiphertextForm.pemContent(in), plain);
                        default -> opener.open(in, plain);
                    };
                }
            }
            // verified: only now does any plaintext leave the staging file
            if (target == null) {
                Files.copy(staging, System.out);
                System.out.flush();
            } else {
                Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING);
            }
            System.err.println("decrypted " + message + " with key " + describe(report, config, openpgp));
        } catch (Exception e) {
            // as for the keys commands: a missing or malformed master key is an expected failure, one line too
            if (!CliErrors.expected(e)) {
                throw e;
            }
            System.err.println(message + ": " + CliErrors.message(e));
            exit = 1;
        } finally {
            if (staging != null) {
                Files.deleteIfExists(staging);
            }
        }
        if (exit != 0) {
            System.exit(exit);
        }
    }

    /**
     * The key as {@code veil keys list} shows it — fingerprint, kind, owner, status — and the content encryption,
     * e.g. {@code 3f2a… (user alice@example.com, current), content AES-256-GCM}.
     */
    static String describe(OpenReport report, VeilConfiguration config, boolean openpgp) {
        StringBuilder line = new StringBuilder(report.listedFingerprint());
        try {
            List<VeilKeys.KeyInfo> infos = openpgp ? KeyService.openOpenPgpKeys(config.dataPath(), System.getenv()).list()
                    : KeyService.openKeys(config.dataPath(), System.getenv()).list();
            infos.stream().filter(k -> k.fingerprint().equals(report.listedFingerprint())).findFirst()
                    .ifPresent(k -> line.append(" (").append(k.kind()).append(' ').append(k.subject()).append(", ")
                            .append(k.status()).append(')'));
        } catch (Exception e) {
            // only a description: the message is decrypted
        }
        if (!report.keyFingerprint().equals(report.listedFingerprint())) {
            line.append(", subkey ").append(report.keyFingerprint());
        }
        return line.append(", content ").append(report.contentAlgorithm()).toString();
    }
}
