package dev.veil.gateway.resources;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Errors of the admin API as JSON ({@code {"status": 409, "error": "..."}}), the same kind of body as its answers:
 * the servlet container's own error page is HTML, which admins' scripts (curl | jq) cannot read.
 */
final class JsonErrors {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonErrors() {
    }

    /**
     * Lets {@code request} through when its method is one of {@code allowed} (HEAD with GET); else answers 405 in JSON
     * with an Allow header and returns false. The servlet default was an empty body or Jetty's HTML page (a probe).
     */
    static boolean methodAllowed(jakarta.servlet.http.HttpServletRequest request, HttpServletResponse response,
                                 java.util.List<String> allowed) throws IOException {
        String method = request.getMethod();
        if (allowed.contains(method) || (method.equals("HEAD") && allowed.contains("GET"))) {
            return true;
        }
        response.setHeader("Allow", String.join(", ", allowed));
        send(response, 405, method + " is not allowed on " + request.getRequestURI() + "; allowed: "
                + String.join(", ", allowed));
        return false;
    }

    static void send(HttpServletResponse response, int status, String message) throws IOException {
        if (response.isCommitted()) {
            return; // part of an answer went out already: nothing sensible can follow it
        }
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("error", message);
        JSON.writeValue(response.getOutputStream(), body);
    }
}
