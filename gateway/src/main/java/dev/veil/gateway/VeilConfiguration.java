package dev.veil.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.veil.config.Direction;
import dev.veil.gateway.graph.GraphSettings;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything config.yml can set. Every field has a working default, so {@code veil server} runs with no file;
 * {@code -Ddw.NAME=value} overrides any of them (e.g. {@code -Ddw.smtp.port=25}).
 */
public class VeilConfiguration extends Configuration {

    /** Database, spool, keys, policy: everything Veil keeps lives here. */
    @NotEmpty
    private String dataDir = "./veil-data";

    /** The key policy file; {@code dataDir/policy.yml} when empty (written from the example on first start). */
    private String policyFile = "";

    /** JDBC URL of the database; the embedded H2 file in dataDir when empty. */
    private String databaseUrl = "";

    /** Bearer token for the admin port; read from (or created in) {@code dataDir/admin.token} when empty. */
    private String adminToken = "";

    @Valid
    @NotNull
    private SmtpSettings smtp = new SmtpSettings();

    @Valid
    @NotNull
    private UpstreamSettings upstream = new UpstreamSettings();

    @Valid
    @NotNull
    private QueueSettings queue = new QueueSettings();
    @Valid
    @NotNull
    private dev.veil.gateway.core.WebKeyDirectorySettings wkd = new dev.veil.gateway.core.WebKeyDirectorySettings();

    @Valid
    @NotNull
    private OutboundSettings outbound = new OutboundSettings();

    @Valid
    @NotNull
    private AuthSettings auth = new AuthSettings();

    @Valid
    @NotNull
    private ArcSettings arc = new ArcSettings();

    @Valid
    @NotNull
    private GraphSettings graph = new GraphSettings();

    public VeilConfiguration() {
        // Both HTTP ports on loopback unless config.yml says otherwise: the admin API is never public by accident.
        DefaultServerFactory server = new DefaultServerFactory();
        server.setApplicationConnectors(List.of(loopback(8080)));
        server.setAdminConnectors(List.of(loopback(8081)));
        server.setRegisterDefaultExceptionMappers(true);
        setServerFactory(server);
    }

    /**
     * Puts every HTTP connector that config.yml gave no {@code bindHost} on loopback, and returns their descriptions.
     * A {@code server} section that names only ports ({@code adminConnectors: [{type: http, port: 9081}]}) replaces the
     * defaults above, and Dropwizard then binds to every interface: the admin API was reachable from the network
     * (found by a black-box probe). To listen elsewhere, config.yml names the address ({@code bindHost: 0.0.0.0}).
     */
    public List<String> keepUnboundConnectorsOnLoopback() {
        List<io.dropwizard.jetty.ConnectorFactory> connectors = new java.util.ArrayList<>();
        if (getServerFactory() instanceof DefaultServerFactory server) {
            connectors.addAll(server.getApplicationConnectors());
            connectors.addAll(server.getAdminConnectors());
        } else if (getServerFactory() instanceof io.dropwizard.core.server.SimpleServerFactory server) {
            connectors.add(server.getConnector());
        }
        List<String> moved = new java.util.ArrayList<>();
        for (io.dropwizard.jetty.ConnectorFactory connector : connectors) {
            if (connector instanceof HttpConnectorFactory http && http.getBindHost() == null) {
                http.setBindHost("127.0.0.1");
                moved.add("port " + http.getPort());
            }
        }
        return moved;
    }

    private static HttpConnectorFactory loopback(int port) {
        HttpConnectorFactory connector = new HttpConnectorFactory();
        connector.setBindHost("127.0.0.1");
        connector.setPort(port);
        return connector;
    }

    public Path dataPath() {
        return Path.of(dataDir).toAbsolutePath().normalize();
    }

    public Path policyPath() {
        return policyFile.isBlank() ? dataPath().resolve("policy.yml") : Path.of(policyFile).toAbsolutePath();
    }

    /** Each direction's pipeline: {@code queue.pipeline} inbound, {@code outbound.pipeline} outbound. */
    public Map<Direction, List<String>> pipelines() {
        return Map.of(Direction.INBOUND, queue.getPipeline(), Direction.OUTBOUND, outbound.getPipeline());
    }

    /** Whether either pipeline has the step. */
    public boolean hasStep(String step) {
        return queue.getPipeline().contains(step) || outbound.getPipeline().contains(step);
    }

    /** Whether a pipeline authenticates or seals: only then is a DNS resolver made (and auth.dnsServers read). */
    public boolean needsDns() {
        return hasStep("authenticate") || hasStep("arc-seal");
    }

    public Path upstreamDirectory() {
        return upstream.getDirectory().isBlank() ? dataPath().resolve("upstream") : Path.of(upstream.getDirectory()).toAbsolutePath();
    }

    public Path outboundDirectory() {
        String dir = outbound.getRelay().getDirectory();
        return dir.isBlank() ? dataPath().resolve("outbound") : Path.of(dir).toAbsolutePath();
    }

    @JsonProperty public String getDataDir() { return dataDir; }
    @JsonProperty public void setDataDir(String v) { dataDir = v; }
    @JsonProperty public String getPolicyFile() { return policyFile; }
    @JsonProperty public void setPolicyFile(String v) { policyFile = v; }
    @JsonProperty public String getDatabaseUrl() { return databaseUrl; }
    @JsonProperty public void setDatabaseUrl(String v) { databaseUrl = v; }
    @JsonProperty public String getAdminToken() { return adminToken; }
    @JsonProperty public void setAdminToken(String v) { adminToken = v; }
    @JsonProperty public SmtpSettings getSmtp() { return smtp; }
    @JsonProperty public void setSmtp(SmtpSettings v) { smtp = v; }
    @JsonProperty public UpstreamSettings getUpstream() { return upstream; }
    @JsonProperty public void setUpstream(UpstreamSettings v) { upstream = v; }
    @JsonProperty public QueueSettings getQueue() { return queue; }
    @JsonProperty public void setQueue(QueueSettings v) { queue = v; }
    @JsonProperty public dev.veil.gateway.core.WebKeyDirectorySettings getWkd() { return wkd; }
    @JsonProperty public void setWkd(dev.veil.gateway.core.WebKeyDirectorySettings v) { wkd = v; }
    @JsonProperty public OutboundSettings getOutbound() { return outbound; }
    @JsonProperty public void setOutbound(OutboundSettings v) { outbound = v; }
    @JsonProperty public AuthSettings getAuth() { return auth; }
    @JsonProperty public void setAuth(AuthSettings v) { auth = v; }
    @JsonProperty public ArcSettings getArc() { return arc; }
    @JsonProperty public void setArc(ArcSettings v) { arc = v; }
    @JsonProperty public GraphSettings getGraph() { return graph; }
    @JsonProperty public void setGraph(GraphSettings v) { graph = v; }
}
