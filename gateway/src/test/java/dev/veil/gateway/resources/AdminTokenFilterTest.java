package dev.veil.gateway.resources;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.FilterChain;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdminTokenFilterTest {
    private static final String TOKEN = "3f1c0ffee0ddba11";
    private final AdminTokenFilter filter = new AdminTokenFilter(TOKEN);

    @Test
    void letsARequestWithTheRightTokenThrough() throws Exception {
        Exchange x = call("/queue", "Bearer " + TOKEN);

        assertThat(x.passed).isTrue();
        assertThat(x.status).isNull();
        assertThat(x.body.toString()).isEmpty();
    }

    @Test
    void refusesARequestWithoutAToken() throws Exception {
        Exchange x = call("/queue", null);

        assertRefused(x);
    }

    @Test
    void refusesARequestWithAWrongToken() throws Exception {
        assertRefused(call("/queue", "Bearer " + TOKEN + "x"));
        assertRefused(call("/queue", "Bearer " + TOKEN.substring(1)));
        assertRefused(call("/queue", TOKEN));
        assertRefused(call("/queue", "Basic " + TOKEN));
        assertRefused(call("/queue", "Bearer " + TOKEN.toUpperCase()));
    }

    @Test
    void theSchemeNameIsCaseInsensitive() throws Exception {
        assertThat(call("/queue", "bearer " + TOKEN).passed).isTrue();
        assertThat(call("/queue", "BEARER  " + TOKEN).passed).isTrue();
        assertRefused(call("/queue", "Bearer"));
        assertRefused(call("/queue", "Bearer "));
        assertRefused(call("/queue", "Bearer" + TOKEN));
    }

    @Test
    void anEmptyTokenIsRefusedAtConstruction() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AdminTokenFilter(" "))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anEmptiedTokenFileStopsTheStartSayingWhatToDo(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path file = dir.resolve("admin.token");
        String created = dev.veil.gateway.AdminToken.resolve("", file);
        assertThat(created).hasSize(48);
        assertThat(dev.veil.gateway.AdminToken.resolve("", file)).isEqualTo(created);
        java.nio.file.Files.writeString(file, "\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.veil.gateway.AdminToken.resolve("", file))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("admin.token holds no usable admin token (it is empty): delete it");
        assertThat(dev.veil.gateway.AdminToken.resolve("configured-token", file)).isEqualTo("configured-token");
    }

    @Test
    void leavesPingOpenForLivenessProbes() throws Exception {
        Exchange x = call("/ping", null);

        assertThat(x.passed).isTrue();
        assertThat(x.status).isNull();
    }

    /** Under the simple server the admin context is adminContextPath (/admin/ping); a black-box probe's got 401. */
    @Test
    void leavesPingOpenUnderAnAdminContextPath() throws Exception {
        assertThat(call("/admin", "/ping", null).passed).isTrue();
        assertRefused(call("/admin", "/queue", null));
        assertRefused(call("/admin", "/pingx", null));
        assertRefused(call("", "/admin/ping", null));
    }

    @Test
    void protectsEveryOtherPathThatMerelyStartsWithPing() throws Exception {
        assertRefused(call("/ping/../queue", null));
        assertRefused(call("/pingx", null));
        assertRefused(call("/healthcheck", null));
    }

    private static void assertRefused(Exchange x) {
        assertThat(x.passed).as("reached the servlet").isFalse();
        assertThat(x.status).isEqualTo(401);
        assertThat(x.headers).containsEntry("WWW-Authenticate", "Bearer realm=\"veil-admin\"");
        assertThat(x.body.toString()).startsWith("401: send the admin token");
        assertThat(x.body.toString()).doesNotContain(TOKEN);
    }

    private Exchange call(String path, String authorization) throws Exception {
        return call("", path, authorization);
    }

    private Exchange call(String context, String path, String authorization) throws Exception {
        Exchange x = new Exchange();
        HttpServletRequest request = proxy(HttpServletRequest.class, (method, args) -> switch (method) {
            case "getRequestURI" -> context + path;
            case "getContextPath" -> context;
            case "getHeader" -> "Authorization".equalsIgnoreCase((String) args[0]) ? authorization : null;
            default -> throw new UnsupportedOperationException(method);
        });
        HttpServletResponse response = proxy(HttpServletResponse.class, (method, args) -> switch (method) {
            case "setStatus" -> {
                x.status = (Integer) args[0];
                yield null;
            }
            case "setHeader" -> {
                x.headers.put((String) args[0], (String) args[1]);
                yield null;
            }
            case "setContentType" -> null;
            case "getWriter" -> x.writer;
            default -> throw new UnsupportedOperationException(method);
        });
        FilterChain chain = (req, res) -> x.passed = true;
        filter.doFilter(request, response, chain);
        x.writer.flush();
        return x;
    }

    private interface Answer {
        Object apply(String method, Object[] args);
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, Answer answer) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (p, method, args) -> answer.apply(method.getName(), args));
    }

    private static final class Exchange {
        boolean passed;
        Integer status;
        final Map<String, String> headers = new HashMap<>();
        final StringWriter body = new StringWriter();
        final PrintWriter writer = new PrintWriter(body);
    }
}
