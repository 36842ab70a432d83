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
        Files.writeString(file, PolicyLoader.exampleYaml());
        PolicyHolder holder = new PolicyHolder(file);
        assertThat(holder.reload()).isTrue();
        Policy good = holder.get();
        PolicyWatcher watcher = new PolicyWatcher(holder, 20);
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
