package dev.veil.gateway.resources;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.core.AuditRecord;
import dev.veil.gateway.db.AuditDao;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** {@code GET /audit?queueId=ID}: what was done to one message — rule, policy version, keys, outcome. */
public final class AuditServlet extends HttpServlet {
    private final AuditDao audit;
    private final ObjectMapper json;

    public AuditServlet(AuditDao audit, ObjectMapper json) {
        this.audit = audit;
        this.json = json;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws jakarta.servlet.ServletException, IOException {
        if (JsonErrors.methodAllowed(request, response, List.of("GET"))) {
            super.service(request, response);
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String queueId = request.getParameter("queueId");
        if (queueId == null || queueId.isBlank()) {
            JsonErrors.send(response, 400, "give ?queueId=ID");
            return;
        }
        try {
            List<AuditRecord> records = audit.forQueueId(queueId);
            response.setContentType("application/json");
            json.writeValue(response.getOutputStream(), Map.of("records", records.stream().map(AuditServlet::row).toList()));
        } catch (Exception e) {
            JsonErrors.send(response, 500, "cannot read the audit table: " + e.getMessage());
        }
    }

    /** One record as JSON: {@code at} in ISO-8601 like the times of {@code GET /queue} (Jackson gave epoch seconds). */
    static Map<String, Object> row(AuditRecord r) {
        Map<String, Object> row = new java.util.LinkedHashMap<>();
        row.put("queueId", r.queueId());
        row.put("at", r.at().toString());
        row.put("event", r.event());
        row.put("recipients", r.recipients());
        row.put("policyRule", r.policyRule());
        row.put("policyVersion", r.policyVersion());
        row.put("keyFingerprints", r.keyFingerprints());
        row.put("outcome", r.outcome());
        row.put("detail", r.detail());
        return row;
    }
}
