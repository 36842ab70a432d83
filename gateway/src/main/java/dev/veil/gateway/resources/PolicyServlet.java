package dev.veil.gateway.resources;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.config.Policy;
import dev.veil.config.Problem;
import dev.veil.gateway.core.PolicyHolder;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /policy}: the version in force and the problems of the file on disk, read again (its named keys' files
 * too) for every request.
 * {@code POST /policy/reload}: load the file now; 200 when it took effect, 422 with the errors when it was refused
 * (the previous policy then stays in force).
 */
public final class PolicyServlet extends HttpServlet {
    private final PolicyHolder policies;
    private final ObjectMapper json;

    public PolicyServlet(PolicyHolder policies, ObjectMapper json) {
        this.policies = policies;
        this.json = json;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws jakarta.servlet.ServletException, IOException {
        String path = request.getPathInfo();
        if (path != null && !path.equals("/") && !path.equals("/reload")) {
            JsonErrors.send(response, 404, "the policy resources are GET /policy and POST /policy/reload");
            return;
        }
        List<String> allowed = "/reload".equals(path) ? List.of("POST") : List.of("GET");
        if (JsonErrors.methodAllowed(request, response, allowed)) {
            super.service(request, response);
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        write(response, 200, status(null));
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!"/reload".equals(request.getPathInfo())) {
            JsonErrors.send(response, 404, "POST /policy/reload is the only policy action");
            return;
        }
        boolean loaded = policies.reload();
        Map<String, Object> body = status(loaded);
        if (!loaded) { // the shape of every other error, with the problems beside it
            body.put("status", 422);
            body.put("error", "the policy file was refused; the policy in force stays: " + String.join("; ",
                    policies.lastProblems().stream().map(Problem::format).toList()));
        }
        write(response, loaded ? 200 : 422, body);
    }

    private Map<String, Object> status(Boolean loaded) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (loaded != null) {
            body.put("loaded", loaded);
        }
        Policy current = policies.get();
        body.put("file", policies.file().toString());
        body.put("version", current == null ? null : current.contentHash());
        List<Problem> problems = loaded == null ? policies.currentProblems() : policies.lastProblems();
        body.put("problems", problems.stream().map(Problem::format).toList());
        return body;
    }

    private void write(HttpServletResponse response, int status, Map<String, Object> body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        json.writeValue(response.getOutputStream(), body);
    }
}
