package dev.veil.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.crypto.PasswordHash;
import dev.veil.crypto.SelfSignedTls;
import dev.veil.gateway.OutboundAccount;
import dev.veil.gateway.UpstreamSettings;
import dev.veil.gateway.VeilConfiguration;
import io.dropwizard.util.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The settings {@code veil check} refuses as the server would at start: a configuration that uses every checked
 * setting passes, and spoiling one setting at a time gives exactly the one problem the server would stop on.
 */
class CheckCommandTest {
    @TempDir
    Path dir;
    private Path keyStore;
    private String keyStorePassword;
    private String goodHash;

    @BeforeEach
    void keyStore() throws Exception {
        // a real PKCS#12 key store, made as the server makes its own when none is configured
        Path tls = dir.resolve("tls");
        SelfSignedTls.serverContext(null, new char[0], tls, "mx.example.com");
        keyStore = tls.resolve("smtp.p12");
        keyStorePassword = Files.readString(tls.resolve("smtp.p12.password")).trim();
        goodHash = PasswordHash.hash("correct horse".toCharArray());
    }

    /** Every setting the check looks at, set to something the server starts with. */
    private VeilConfiguration usable() throws Exception {
        VeilConfiguration config = new VeilConfiguration();
        config.setDataDir(dir.resolve("veil-data").toString());
        config.getSmtp().setTlsKeyStore(keyStore.toString());
        config.getSmtp().setTlsKeyStorePassword(keyStorePassword);
        config.getUpstream().setMode(UpstreamSettings.Mode.smtp);
        config.getUpstream().setHost("smarthost.example.com");
        config.getOutbound().getRelay().setMode(UpstreamSettings.Mode.smtp);
        config.getOutbound().getRelay().setHost("relay.example.com");
        config.getQueue().setPipeline(List.of("reject", "authenticate", "pseudonymise", "encrypt", "pass", "arc-seal",
                "relay"));
        config.getArc().setDomain("example.com");
        config.getAuth().setDnsServers(List.of("127.0.0.1", "[::1]:5353"));
        config.getOutbound().setAllowedNetworks(List.of("192.0.2.0/24", "2001:db8::/32"));
        OutboundAccount account = new OutboundAccount();
        account.setUsername("scanner");
        account.setPasswordHash(goodHash);
        config.getOutbound().setAccounts(List.of(account));
        config.getOutbound().getClientCertificates().setFingerprints(List.of("ab".repeat(32)));
        config.getGraph().setClientId("client");
        config.getGraph().setTenantId("tenant");
        config.getGraph().setClientSecret("secret");
        config.getGraph().setSyncInterval(Duration.minutes(15));
        return config;
    }

    private List<String> problems(Consumer<VeilConfiguration> spoil) throws Exception {
        VeilConfiguration config = usable();
        spoil.accept(config);
        return CheckCommand.settingsProblems(config, new ObjectMapper());
    }

    @Test
    void aConfigurationTheServerStartsWithHasNoProblemAndNothingIsWritten() throws Exception {
        assertThat(problems(c -> { })).isEmpty();
        VeilConfiguration defaults = new VeilConfiguration();
        defaults.setDataDir(dir.resolve("veil-data").toString());
        assertThat(CheckCommand.settingsProblems(defaults, new ObjectMapper())).isEmpty();
        assertThat(dir.resolve("veil-data")).doesNotExist();
    }

    @Test
    void arcSealWithoutArcDomain() throws Exception {
        assertThat(problems(c -> c.getArc().setDomain(""))).singleElement().asString()
                .startsWith("a pipeline has arc-seal but arc.domain is empty");
        // in the outbound pipeline too
        assertThat(problems(c -> {
            c.getArc().setDomain("");
            c.getQueue().setPipeline(List.of("reject", "encrypt", "relay"));
            c.getOutbound().setPipeline(List.of("restore-correspondents", "encrypt", "arc-seal", "relay"));
        })).singleElement().asString().startsWith("a pipeline has arc-seal but arc.domain is empty");
        // no pipeline seals: the server does not look at arc.* at all
        assertThat(problems(c -> {
            c.getArc().setDomain("");
            c.getQueue().setPipeline(List.of("reject", "authenticate", "encrypt", "relay"));
        })).isEmpty();
    }

    @Test
    void smtpUpstreamOrRelayWithoutHost() throws Exception {
        assertThat(problems(c -> c.getUpstream().setHost(""))).containsExactly(
                "upstream.mode is smtp but upstream.host is empty");
        assertThat(problems(c -> c.getOutbound().getRelay().setHost(" "))).containsExactly(
                "outbound.relay.mode is smtp but outbound.relay.host is empty");
    }

    @Test
    void upstreamTrustStoreThatCannotBeRead() throws Exception {
        Path missing = dir.resolve("missing.p12");
        assertThat(problems(c -> c.getUpstream().setTrustStore(missing.toString()))).containsExactly(
                "upstream.trustStore: no such file or directory: " + missing);
        assertThat(problems(c -> c.getOutbound().getRelay().setTrustStore(missing.toString()))).containsExactly(
                "outbound.relay.trustStore: no such file or directory: " + missing);
        // the trust store the server would load: this one opens
        assertThat(problems(c -> {
            c.getUpstream().setTrustStore(keyStore.toString());
            c.getUpstream().setTrustStorePassword(keyStorePassword);
        })).isEmpty();
    }

    @Test
    void tlsKeyStoreMissingOrWithTheWrongPassword() throws Exception {
        Path missing = dir.resolve("missing.p12");
        assertThat(problems(c -> c.getSmtp().setTlsKeyStore(missing.toString()))).containsExactly(
                "smtp.tlsKeyStore: no such file or directory: " + missing);
        assertThat(problems(c -> c.getSmtp().setTlsKeyStorePassword("wrong"))).containsExactly("smtp.tlsKeyStore: "
                + keyStore + " does not open as a key store with the configured password (keystore password was"
                + " incorrect)");
        Path notAKeyStore = Files.writeString(dir.resolve("not-a-key-store.p12"), "-----BEGIN CERTIFICATE-----\n");
        assertThat(problems(c -> c.getSmtp().setTlsKeyStore(notAKeyStore.toString()))).singleElement().asString()
                .startsWith("smtp.tlsKeyStore: " + notAKeyStore + " does not open as a key store");
    }

    @Test
    void dnsServersAreCheckedOnlyWhenAPipelineAuthenticatesOrSeals() throws Exception {
        assertThat(problems(c -> c.getAuth().setDnsServers(List.of("192.0.2.53:dns")))).singleElement().asString()
                .startsWith("auth.dnsServers: '192.0.2.53:dns' is not an IP address");
        assertThat(problems(c -> {
            c.getAuth().setDnsServers(List.of("192.0.2.53:dns"));
            c.getQueue().setPipeline(List.of("reject", "encrypt", "relay"));
        })).isEmpty();
    }

    @Test
    void outboundListenerSettings() throws Exception {
        assertThat(problems(c -> c.getOutbound().setAllowedNetworks(List.of("10.0.0.0/33")))).containsExactly(
                "outbound.allowedNetworks: '10.0.0.0/33' has a prefix length outside 0..32");
        assertThat(problems(c -> c.getOutbound().getAccounts().get(0).setPasswordHash("secret"))).singleElement()
                .asString().startsWith("outbound.accounts: passwordHash of 'scanner': not an Argon2id hash");
        assertThat(problems(c -> c.getOutbound().getAccounts().get(0).setSenders(List.of("scanner@example.com",
                "@example.org", "not an address")))).singleElement().asString().isEqualTo(
                "outbound.accounts: senders of 'scanner': 'not an address' is neither an address (alice@example.com)"
                        + " nor a domain (@example.com)");
        assertThat(problems(c -> c.getOutbound().getAccounts().get(0).setSenders(List.of("scanner@example.com",
                "@example.org")))).isEmpty();
        assertThat(problems(c -> {
            OutboundAccount twin = new OutboundAccount();
            twin.setUsername("Scanner");
            twin.setPasswordHash(goodHash);
            c.getOutbound().setAccounts(List.of(c.getOutbound().getAccounts().get(0), twin));
        })).containsExactly("outbound.accounts: 'scanner' and 'Scanner' are the same user (user names compare"
                + " without case)");
        assertThat(problems(c -> {
            c.getOutbound().getRelay().setUsername("veil");
            c.getOutbound().getRelay().setPassword("secret");
            c.getOutbound().getRelay().setTls(UpstreamSettings.Tls.starttls);
        })).containsExactly("outbound.relay.username needs outbound.relay.tls: required (the password is sent only"
                + " inside TLS)");
        assertThat(problems(c -> {
            c.getOutbound().getRelay().setUsername("veil");
            c.getOutbound().getRelay().setPasswordFile(dir.resolve("no-such-file").toString());
        })).singleElement().asString().startsWith("cannot read outbound.relay.passwordFile");
        assertThat(problems(c -> c.getOutbound().getClientCertificates().setFingerprints(List.of("abc"))))
                .singleElement().asString().startsWith("outbound.clientCertificates.fingerprints: 'abc'");
    }

    @Test
    void graphSettingsOnlyWhenTheServerSyncsContacts() throws Exception {
        assertThat(problems(c -> c.getGraph().setTenantId(""))).singleElement().asString()
                .startsWith("graph.tenantId is empty");
        Path secret = dir.resolve("missing-secret");
        assertThat(problems(c -> {
            c.getGraph().setClientSecret("");
            c.getGraph().setClientSecretFile(secret.toString());
        })).singleElement().asString().startsWith("cannot read graph.clientSecretFile " + secret);
        assertThat(problems(c -> {
            c.getGraph().setTenantId("");
            c.getGraph().setSyncInterval(Duration.minutes(0)); // `veil contacts` only: the server opens no client
        })).isEmpty();
    }

    @Test
    void anAdminTokenFileWithoutAToken() throws Exception {
        Path data = Files.createDirectories(dir.resolve("veil-data"));
        Files.writeString(data.resolve("admin.token"), "\n");
        assertThat(problems(c -> { })).singleElement().asString()
                .startsWith(data.resolve("admin.token") + " holds no usable admin token (it is empty)");
        assertThat(problems(c -> c.setAdminToken("from-config-0123456789"))).isEmpty();
        // a short token is a guess away (a black-box probe's "a" was taken), in the config or in the file
        assertThat(problems(c -> c.setAdminToken("a"))).singleElement().asString().contains("at least 16");
        Files.writeString(data.resolve("admin.token"), "0123456789\n");
        assertThat(problems(c -> { })).singleElement().asString().contains("at least 16");
    }
}
