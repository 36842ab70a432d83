package dev.veil.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.config.Policy;
import dev.veil.config.PolicyLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyWatcherTest {
    @TempDir
    Path dir;

    @Test
    void aDeletedPolicyFileIsReportedTheLastGoodPolicyStaysAndItsReturnIsPickedUp() throws Exception {
        Path file = dir.resolve("policy.yml");
        PolicyHolder holder = loaded(file, PolicyLoader.exampleYaml());
        Policy good = holder.get();
        PolicyWatcher watcher = new PolicyWatcher(holder, 20, 0);
        watcher.start();
        try {
            Files.delete(file);
            // the admin sees why (GET /policy, the health check), not an empty problem list
            assertThat(within(() -> !holder.lastProblems().isEmpty())).as("the deletion is reported").isTrue();
            assertThat(holder.get()).isSameAs(good);

            Files.writeString(file, PolicyLoader.exampleYaml());
            assertThat(within(() -> holder.lastProblems().isEmpty())).as("the file's return is picked up").isTrue();
        } finally {
            watcher.stop();
        }
    }

    /**
     * Found by a black-box probe: a policy written in two parts a few seconds apart was put in force half-written, and
     * the first part alone was a valid policy that passed everything in plaintext.
     */
    @Test
    void aFileCaughtHalfWrittenIsNotPutInForceOnlyTheContentThatSettles() throws Exception {
        Path file = dir.resolve("policy.yml");
        String complete = PolicyLoader.exampleYaml();
        PolicyHolder holder = loaded(file, complete.replace("subject: \"[encrypted]\"", "subject: \"[before]\""));
        String before = holder.get().contentHash();
        PolicyWatcher watcher = new PolicyWatcher(holder, 20, 600);
        watcher.start();
        java.util.Set<String> inForce = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try {
            String firstPart = "version: 1\norganisation: Half\ndomains: [example.com]\nrules:\n  - name: all\n"
                    + "    match:\n      recipient: \"*\"\n    pass:\n      reason: half written\n";
            assertThat(PolicyLoader.parse("half.yml", firstPart).hasErrors())
                    .as("the first part is a valid policy of its own").isFalse();
            Files.writeString(file, firstPart);
            for (int i = 0; i < 15; i++) { // 300 ms: the writer is slow
                inForce.add(holder.get().contentHash());
                Thread.sleep(20);
            }
            Files.writeString(file, complete);
            assertThat(within(() -> {
                inForce.add(holder.get().contentHash());
                return !holder.get().contentHash().equals(before);
            })).as("the settled content is loaded").isTrue();
        } finally {
            watcher.stop();
        }
        assertThat(holder.get().organisation()).isNotEqualTo("Half");
        assertThat(inForce).as("policies in force while the file was written").hasSize(2);
    }

    /** Found by a black-box probe: an unreadable file (here a directory in its place) was not reported. */
    @Test
    void aFileThatCannotBeReadIsReportedAndTheLastGoodPolicyStays() throws Exception {
        Path file = dir.resolve("policy.yml");
        PolicyHolder holder = loaded(file, PolicyLoader.exampleYaml());
        Policy good = holder.get();
        PolicyWatcher watcher = new PolicyWatcher(holder, 20, 0);
        watcher.start();
        try {
            Files.delete(file);
            Files.createDirectory(file); // root reads a chmod 000 file, so the test makes it unreadable this way
            assertThat(within(() -> !holder.lastProblems().isEmpty())).as("the unreadable file is reported").isTrue();
            assertThat(holder.get()).isSameAs(good);

            Files.delete(file);
            Files.writeString(file, PolicyLoader.exampleYaml());
            assertThat(within(() -> holder.lastProblems().isEmpty())).as("a readable file again is picked up").isTrue();
        } finally {
            watcher.stop();
        }
    }

    /** A holder with the policy {@code yaml}, written to {@code file}, in force. */
    private static PolicyHolder loaded(Path file, String yaml) throws java.io.IOException {
        Files.writeString(file, yaml);
        PolicyHolder holder = new PolicyHolder(file);
        assertThat(holder.reload()).isTrue();
        return holder;
    }

    private static boolean within(BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 250; i++) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }
}
