package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jetty.ConnectorFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import jakarta.validation.Validation;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** config.yml as Dropwizard reads it. */
class VeilConfigurationTest {

    @Test
    void httpConnectorsGivenOnlyAPortListenOnLoopbackAndANamedAddressIsKept() throws Exception {
        // found by a black-box probe: "adminConnectors: [{type: http, port: N}]" put the admin API on 0.0.0.0
        VeilConfiguration config = read("""
                server:
                  applicationConnectors: [{type: http, port: 9080}]
                  adminConnectors: [{type: http, port: 9081}, {type: http, bindHost: 0.0.0.0, port: 9082}]
                """);

        assertThat(config.keepUnboundConnectorsOnLoopback()).containsExactly("port 9080", "port 9081");

        DefaultServerFactory server = (DefaultServerFactory) config.getServerFactory();
        assertThat(bindHosts(server.getApplicationConnectors())).containsExactly("127.0.0.1");
        assertThat(bindHosts(server.getAdminConnectors())).containsExactly("127.0.0.1", "0.0.0.0");
    }

    @Test
    void withoutAServerSectionBothPortsAreOnLoopback() throws Exception {
        VeilConfiguration config = read("dataDir: veil-data\n");

        assertThat(config.keepUnboundConnectorsOnLoopback()).isEmpty();
        DefaultServerFactory server = (DefaultServerFactory) config.getServerFactory();
        assertThat(bindHosts(server.getApplicationConnectors())).containsExactly("127.0.0.1");
        assertThat(bindHosts(server.getAdminConnectors())).containsExactly("127.0.0.1");
    }

    private static VeilConfiguration read(String yaml) throws Exception {
        YamlConfigurationFactory<VeilConfiguration> factory = new YamlConfigurationFactory<>(VeilConfiguration.class,
                Validation.buildDefaultValidatorFactory().getValidator(), Jackson.newObjectMapper(), "dw");
        return factory.build(path -> new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "config.yml");
    }

    private static List<String> bindHosts(List<ConnectorFactory> connectors) {
        return connectors.stream().map(c -> ((HttpConnectorFactory) c).getBindHost()).toList();
    }
}
