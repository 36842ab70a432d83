package dev.veil.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.util.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The schedule the server's periodic jobs share (CRL refresh, sent-id pruning, contacts sync). */
class PeriodicTaskTest {

    /** Counts its runs; the first one throws. */
    static final class Counting extends PeriodicTask {
        final AtomicInteger runs = new AtomicInteger();
        volatile String thread = "";

        Counting(Duration initialDelay) {
            super("veil-test-task", initialDelay, Duration.milliseconds(20));
        }

        @Override
        protected void runOnce() throws Exception {
            thread = Thread.currentThread().getName();
            if (runs.incrementAndGet() == 1) {
                throw new Exception("the first run fails");
            }
        }
    }

    @Test
    void aRunThatThrowsDoesNotEndTheScheduleAndStopEndsIt() throws Exception {
        Counting task = new Counting(Duration.seconds(0));
        task.start();
        try {
            awaitRuns(task, 3);
            assertThat(task.thread).isEqualTo("veil-test-task");
        } finally {
            task.stop();
        }
        Thread.sleep(100); // a run under way when stop() came may still finish
        int afterStop = task.runs.get();
        Thread.sleep(200);
        assertThat(task.runs.get()).isEqualTo(afterStop);
    }

    @Test
    void theFirstRunWaitsForTheInitialDelay() throws Exception {
        Counting task = new Counting(Duration.hours(1));
        task.start();
        try {
            Thread.sleep(200);
            assertThat(task.runs.get()).isZero();
        } finally {
            task.stop();
        }
    }

    private static void awaitRuns(Counting task, int runs) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.seconds(10).toNanoseconds();
        while (task.runs.get() < runs && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(task.runs.get()).isGreaterThanOrEqualTo(runs);
    }
}
