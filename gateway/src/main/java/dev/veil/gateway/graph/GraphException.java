package dev.veil.gateway.graph;

import java.io.IOException;

/**
 * A Graph (or token endpoint) request failed for good: names the request, the HTTP status and Graph's own error code
 * and message, e.g. {@code PATCH users/alice@example.com/contacts/AAMk..: 404 ErrorItemNotFound: The specified object
 * was not found in the store.}
 */
public class GraphException extends IOException {
    private final String method;
    private final String path;
    private final int status;
    private final String code;
    private final String graphMessage;

    public GraphException(String method, String path, int status, String code, String graphMessage) {
        super(method + " " + path + ": " + (status > 0 ? status + " " : "") + code
                + (graphMessage.isEmpty() ? "" : ": " + graphMessage));
        this.method = method;
        this.path = path;
        this.status = status;
        this.code = code;
        this.graphMessage = graphMessage;
    }

    public String method() { return method; }
    public String path() { return path; }
    /** The HTTP status, 0 when no response came (connection failures). */
    public int status() { return status; }
    /** A conditional update found the item changed since it was read (412, Graph's ErrorIrresolvableConflict). */
    public boolean changedMeanwhile() { return status == 412; }
    /** Graph's {@code error.code} (or the OAuth2 {@code error}), or a short description when the body had none. */
    public String code() { return code; }
    public String graphMessage() { return graphMessage; }
}
