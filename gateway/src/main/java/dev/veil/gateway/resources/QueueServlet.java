package dev.veil.gateway.resources;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.core.QueueId;
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
 * {@code POST /queue/ID/release}: a quarantined (or deferred) entry goes through the pipeline again now.
 * {@code DELETE /queue/ID}: a quarantined (or deferred) entry is dropped, unsent (audited).
 * Without these a quarantined message could only be reached by editing the database.
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
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws jakarta.servlet.ServletException, IOException {
        // each path has its own methods, so that a wrong one gets 405 with the right Allow header (a black-box probe
        // got 404 "no queue entry flush" for GET /queue/flush, and Allow: GET, POST, DELETE for PUT on it)
        String path = request.getPathInfo();
        List<String> allowed = path == null || path.equals("/") ? List.of("GET")
                : path.equals("/flush") || path.endsWith("/release") ? List.of("POST") : List.of("GET", "DELETE");
        if (JsonErrors.methodAllowed(request, response, allowed)) {
            super.service(request, response);
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo();
        if (path != null && !path.equals("/")) {
            // GET /queue/ID: that entry (a probe found the whole queue given for any path below /queue)
            Optional<QueueId> id = entryId(path, response);
            if (id.isPresent()) {
                one(id.get(), response);
            }
            return;
        }
        Optional<SpoolState> state;
        long limit;
        try {
            state = Optional.ofNullable(request.getParameter("state"))
                    .map(s -> SpoolState.valueOf(s.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            JsonErrors.send(response, 400,
                    "state is one of received, processing, deferred, relayed, bounced, quarantined");
            return;
        }
        try {
            limit = Optional.ofNullable(request.getParameter("limit")).map(Long::parseLong).orElse(1000L);
        } catch (NumberFormatException e) {
            JsonErrors.send(response, 400, "limit is a whole number of entries, at least 1");
            return;
        }
        if (limit < 1) {
            JsonErrors.send(response, 400, "limit is at least 1");
            return;
        }
        try {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (SpoolEntry e : dao.list(state, (int) Math.min(limit, 100_000))) {
                rows.add(row(e));
            }
            response.setContentType("application/json");
            json.writeValue(response.getOutputStream(), Map.of("entries", rows));
        } catch (Exception e) {
            JsonErrors.send(response, 500, "cannot read the queue: " + e.getMessage());
        }
    }

    private void one(QueueId id, HttpServletResponse response) throws IOException {
        try {
            Optional<SpoolEntry> entry = dao.find(id);
            if (entry.isEmpty()) {
                JsonErrors.send(response, 404, "no queue entry " + id.value());
                return;
            }
            response.setContentType("application/json");
            json.writeValue(response.getOutputStream(), row(entry.get()));
        } catch (Exception e) {
            JsonErrors.send(response, 500, "cannot read the queue: " + e.getMessage());
        }
    }

    private static Map<String, Object> row(SpoolEntry e) {
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
        return row;
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo();
        if (path != null && path.endsWith("/release")) {
            Optional<QueueId> id = entryId(path.substring(0, path.length() - "/release".length()), response);
            if (id.isPresent()) {
                act(id.get(), "released", runner::release, response);
            }
            return;
        }
        if (!"/flush".equals(path)) {
            JsonErrors.send(response, 404, "the queue actions are POST /queue/flush, POST /queue/ID/release"
                    + " and DELETE /queue/ID");
            return;
        }
        try {
            int n = runner.flush();
            response.setContentType("application/json");
            json.writeValue(response.getOutputStream(), Map.of("flushed", n));
        } catch (Exception e) {
            JsonErrors.send(response, 500, "flush failed: " + e.getMessage());
        }
    }

    @Override
    protected void doDelete(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<QueueId> id = entryId(request.getPathInfo(), response);
        if (id.isPresent()) {
            act(id.get(), "deleted", runner::delete, response);
        }
    }

    private interface Action {
        boolean apply(QueueId id) throws Exception;
    }

    /** 200 when done; 404 for an unknown id; 409 when the entry is not quarantined or deferred (say which it is). */
    private void act(QueueId id, String done, Action action, HttpServletResponse response) throws IOException {
        try {
            if (action.apply(id)) {
                response.setContentType("application/json");
                json.writeValue(response.getOutputStream(), Map.of("id", id.value(), "result", done));
                return;
            }
            Optional<SpoolEntry> entry = dao.find(id);
            if (entry.isEmpty()) {
                JsonErrors.send(response, 404, "no queue entry " + id.value());
            } else {
                JsonErrors.send(response, 409, id.value() + " is " + entry.get().state().name().toLowerCase(Locale.ROOT)
                        + "; only quarantined or deferred entries can be released or deleted");
            }
        } catch (Exception e) {
            JsonErrors.send(response, 500, "cannot change " + id.value() + ": " + e.getMessage());
        }
    }

    /** "/ID" of the request path, or a 404 already sent. */
    private static Optional<QueueId> entryId(String path, HttpServletResponse response) throws IOException {
        try {
            if (path != null && path.startsWith("/") && path.indexOf('/', 1) < 0) {
                return Optional.of(new QueueId(path.substring(1)));
            }
        } catch (IllegalArgumentException e) {
            // falls through: not an id
        }
        String given = path == null ? "" : path.startsWith("/") ? path.substring(1) : path;
        given = given.length() > 100 ? given.substring(0, 100) + "..." : given;
        JsonErrors.send(response, 404, given.isEmpty() ? "give a queue id: /queue/ID (see GET /queue)"
                : "no queue entry " + given + " (ids are as GET /queue lists them)");
        return Optional.empty();
    }
}
