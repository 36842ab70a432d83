package dev.veil.gateway.resources;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.core.AuditRecord;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditServletTest {
    @Test
    void aRecordsTimeIsIsoLikeTheQueuesTimes() throws Exception {
        AuditRecord record = new AuditRecord("01M8QS4CCF5607X35PY0", Instant.parse("2026-12-01T03:07:19.867Z"), "relay",
                List.of("bob@example.com"), "protect", "v3", List.of("ab12"), "relayed", "250 ok");

        String json = new ObjectMapper().writeValueAsString(AuditServlet.row(record));

        assertThat(json).isEqualTo("{\"queueId\":\"01M8QS4CCF5607X35PY0\",\"at\":\"2026-12-01T03:07:19.867Z\","
                + "\"event\":\"relay\",\"recipients\":[\"bob@example.com\"],\"policyRule\":\"protect\","
                + "\"policyVersion\":\"v3\",\"keyFingerprints\":[\"ab12\"],\"outcome\":\"relayed\",\"detail\":\"250 ok\"}");
    }
}
