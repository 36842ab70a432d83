package dev.veil.gateway.cli;

import dev.veil.crypto.PasswordHash;
import io.dropwizard.core.cli.Command;
import io.dropwizard.core.setup.Bootstrap;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code veil hash-password [--password-file FILE]}: prints the Argon2id hash of a password (first line of the file,
 * or of standard input) for {@code outbound.accounts[].passwordHash}. The password never appears on the command line,
 * where other users could see it in the process list.
 */
public final class HashPasswordCommand extends Command {

    public HashPasswordCommand() {
        super("hash-password", "Print the Argon2id hash of a password for outbound.accounts (reads it from a file or stdin)");
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("--password-file").help("file whose first line is the password (default: standard input)");
    }

    @Override
    public void run(Bootstrap<?> bootstrap, Namespace ns) throws Exception {
        String file = ns.getString("password_file");
        String password;
        if (file != null) {
            password = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8).stream().findFirst().orElse("");
        } else {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            password = line == null ? "" : line;
        }
        if (password.isEmpty()) {
            System.err.println("hash-password: the password is empty; write it on the first line of the file or of standard input");
            System.exit(1);
        }
        System.out.println(PasswordHash.hash(password.toCharArray()));
    }
}
