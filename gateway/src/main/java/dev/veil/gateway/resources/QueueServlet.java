package dev.veil.gateway.resources;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.core.QueueRunner;
import dev.veil.gateway.core.SpoolEntry;
import dev.veil.gateway.core.SpoolState;
import dev.veil.gateway.db.SpoolDao;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /queue[?state=deferred&limit=100]}: spool entries with their states, newest first.
 * {@code POST /queue/flush}: retry every deferred entry now.
 */
public final class QueueServlet extends HttpServlet {
    private final SpoolDao dao;
    private final QueueRunner runner;
    private final ObjectMapper json;

    public QueueServlet(SpoolDao dao, QueueRunner runner, ObjectMapper json) {
        this.dao = dao;
        this.runner = runner;
        this.json = json;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<SpoolState> state;
        int limit;
        try {
            state = Optional.ofNullable(request.getParameter("state"))
                    .map(s -> SpoolState.valueOf(s.toUpperCase(Locale.ROOT)));
            limit = Optional.ofNullable(request.getParameter("limit")).map(Integer::parseInt).orElse(1000);
        } catch (IllegalArgumentException e) {
            response.sendError(400, "state is one of received, processing, deferred, relayed, bounced, quarantined;"
                    + " limit is a number");
            return;
        }
        if (limit < 1) {
            response.sendError(400, "limit is at least 1");
            return;
        }
        try {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (SpoolEntry e : dao.list(state, Math.min(limit, 100_000))) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", e.id().value());
                row.put("direction", e.direction().name().toLowerCase(Locale.ROOT));
                row.put("state", e.state().name().toLowerCase(Locale.ROOT));
                row.put("sender", e.envelope().sender());
                row.put("recipients", e.envelope().recipients());
                row.put("size", e.size());
                row.put("attempts", e.attempts());
                row.put("receivedAt", e.receivedAt().toString());
                row.put("nextAttemptAt", e.nextAttemptAt().toString());
                row.put("lastError", e.lastError());
                rows.add(row);
            }
            response.setContentType("application/json");
            json.writeValue(response.getOutputStream(), Map.of("entries", rows));
        } catch (Exception e) {
            response.sendError(500, "cannot read the queue: " + e.getMessage());
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!"/flush".equals(request.getPathInfo())) {
            response.sendError(404, "POST /queue/flush is the only queue action");
            return;
        }
        try {
            int n = runner.flush();
            response.setContentType("application/json");
            json.writeValue(response.getOutputStream(), Map.of("flushed", n));
        } catch (Exception e) {
            response.sendError(500, "flush failed: " + e.getMessage());
        }
    }
}
