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
