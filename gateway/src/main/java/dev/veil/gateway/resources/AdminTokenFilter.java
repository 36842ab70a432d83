package dev.veil.gateway.resources;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Every admin request needs {@code Authorization: Bearer TOKEN}. The admin port is on loopback by default; the
 * token keeps other local users (and anything that can make the browser call localhost) out as well.
 * {@code /ping} stays open for liveness probes: it says nothing.
 */
public final class AdminTokenFilter implements Filter {
    private final byte[] expected;

    public AdminTokenFilter(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("the admin token is empty"); // "Bearer " alone would match it
        }
        this.expected = token.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The token after the scheme; the scheme's name is case-insensitive (RFC 7235 2.1), so {@code bearer} works too.
     * Anything other than Bearer gives no bytes (never equal to a token, which is never empty).
     */
    static byte[] credentials(String header) {
        String h = header.strip();
        if (h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return new byte[0];
        }
        return h.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest http = (HttpServletRequest) request;
        // within the admin context: /ping, also under the simple server's adminContextPath (/admin/ping there; a
        // black-box probe's liveness probe got 401)
        String uri = http.getRequestURI();
        String context = http.getContextPath() == null ? "" : http.getContextPath();
        String path = uri.startsWith(context) ? uri.substring(context.length()) : uri;
        String header = http.getHeader("Authorization");
        boolean ok = header != null && MessageDigest.isEqual(expected, credentials(header));
        if (ok || "/ping".equals(path)) {
            chain.doFilter(request, response);
            return;
        }
        HttpServletResponse out = (HttpServletResponse) response;
        out.setStatus(401);
        out.setHeader("WWW-Authenticate", "Bearer realm=\"veil-admin\"");
        out.setContentType("text/plain");
        out.getWriter().write("401: send the admin token as 'Authorization: Bearer TOKEN' (see dataDir/admin.token)\n");
    }
}
