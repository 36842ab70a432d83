package dev.veil.gateway.core;

import java.time.Instant;
import java.util.List;

/**
 * One audit row: what happened to a message (or an admin action) — rule, policy version, keys, outcome.
 * Holds no content and no subject by construction.
 */
public record AuditRecord(
        String queueId,
        Instant at,
        String event,
        List<String> recipients,
        String policyRule,
        String policyVersion,
        List<String> keyFingerprints,
        String outcome,
        String detail) {
    public AuditRecord {
        recipients = List.copyOf(recipients);
        keyFingerprints = List.copyOf(keyFingerprints);
    }
}
