package dev.veil.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/** The queue runner ({@code queue.*}): workers, retry schedule, and the processing pipeline. */
public class QueueSettings {
    /**
     * Messages processed at once. Most of a worker's time is spent waiting for the upstream's replies, so many more
     * workers than cores pay off: on 2 cores, 32 relayed 5 KB mail about 1.4 times as fast as 8 (load harness).
     */
    @Min(1)
    private int workers = 32;

    /** First retry after a temporary failure; doubles each attempt up to {@code maxRetryDelay}. */
    @NotNull
    private Duration initialRetryDelay = Duration.minutes(1);
    @NotNull
    private Duration maxRetryDelay = Duration.hours(1);
    /** A message still failing this long after it arrived is bounced. */
    @NotNull
    private Duration giveUpAfter = Duration.days(5);

    /** How often deferred entries are looked for (new mail is picked up at once). */
    @NotNull
    private Duration pollInterval = Duration.seconds(1);

    /** The processing steps, in order, by name (see README: pipeline). */
    @NotNull
    private List<String> pipeline = List.of("reject", "skip-encrypted", "pseudonymise", "encrypt", "pass", "relay");

    /**
     * Whether a background thread runs the JDK's AES modes for about a second at start, so that the first large
     * messages are not encrypted by GCM's plain-Java fallback (see {@code AesWarmUp}).
     */
    private boolean cipherWarmUp = true;

    /** How long the rows of relayed and bounced messages stay in the spool table (the audit table keeps more). */
    @NotNull
    private Duration keepFinished = Duration.days(30);

    /**
     * Whether the delivery status notification of bounced mail is sent to its sender (besides being kept in
     * {@code spool/dsn/}): to a protected sender through the inbound pipeline (encrypted like any mail to it), to an
     * external one through the outbound relay. Notices go out with the null sender, so they never bounce in turn.
     */
    private boolean sendBounces = true;

    @JsonProperty public int getWorkers() { return workers; }
    @JsonProperty public void setWorkers(int v) { workers = v; }
    @JsonProperty public Duration getInitialRetryDelay() { return initialRetryDelay; }
    @JsonProperty public void setInitialRetryDelay(Duration v) { initialRetryDelay = v; }
    @JsonProperty public Duration getMaxRetryDelay() { return maxRetryDelay; }
    @JsonProperty public void setMaxRetryDelay(Duration v) { maxRetryDelay = v; }
    @JsonProperty public Duration getGiveUpAfter() { return giveUpAfter; }
    @JsonProperty public void setGiveUpAfter(Duration v) { giveUpAfter = v; }
    @JsonProperty public Duration getPollInterval() { return pollInterval; }
    @JsonProperty public void setPollInterval(Duration v) { pollInterval = v; }
    @JsonProperty public boolean isCipherWarmUp() { return cipherWarmUp; }
    @JsonProperty public void setCipherWarmUp(boolean v) { cipherWarmUp = v; }
    @JsonProperty public Duration getKeepFinished() { return keepFinished; }
    @JsonProperty public void setKeepFinished(Duration v) { keepFinished = v; }
    @JsonProperty public boolean isSendBounces() { return sendBounces; }
    @JsonProperty public void setSendBounces(boolean v) { sendBounces = v; }
    @JsonProperty public List<String> getPipeline() { return pipeline; }
    /** Checked as it is read, so that {@code veil check} refuses what the server would. */
    @JsonProperty public void setPipeline(List<String> v) {
        dev.veil.gateway.pipeline.PipelineSteps.check("queue.pipeline", v, dev.veil.gateway.pipeline.PipelineSteps.INBOUND);
        pipeline = v;
    }
}
