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
        this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest http = (HttpServletRequest) request;
        String path = http.getRequestURI();
        String header = http.getHeader("Authorization");
        boolean ok = header != null && MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.UTF_8));
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
