package dev.veil.gateway.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.gateway.ClientCertificateSettings;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verdict on client certificate chains: pinned fingerprints, or DNS names on a chain to the configured CAs. */
class ClientCertificatesTest {
    private static final long DAY = 86_400_000L;

    @TempDir
    static Path dir;
    private static KeyPair caKeys;
    private static X509Certificate ca;
    private static X509Certificate connector;
    private static X509Certificate expired;
    private static X509Certificate selfSigned;
    private static X509Certificate otherCaLeaf;
    private static Path caPem;

    @BeforeAll
    static void certificates() throws Exception {
        caKeys = keys();
        ca = certificate("CN=Test Root CA", caKeys.getPublic(), "CN=Test Root CA", caKeys.getPrivate(), true, null, 0);
        connector = certificate("CN=ignored.example", keys().getPublic(), "CN=Test Root CA", caKeys.getPrivate(), false,
                "mail.protection.outlook.com", 0);
        expired = certificate("CN=old", keys().getPublic(), "CN=Test Root CA", caKeys.getPrivate(), false,
                "mail.protection.outlook.com", -10);
        KeyPair own = keys();
        selfSigned = certificate("CN=relay.partner.example", own.getPublic(), "CN=relay.partner.example",
                own.getPrivate(), false, null, 0);
        KeyPair otherCa = keys();
        otherCaLeaf = certificate("CN=x", keys().getPublic(), "CN=Test Root CA", otherCa.getPrivate(), false,
                "mail.protection.outlook.com", 0);
        caPem = dir.resolve("ca.pem");
        Files.writeString(caPem, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(ca.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
    }

    @Test
    void aPinnedFingerprintTrustsThatCertificateEvenSelfSigned() throws Exception {
        String colons = dev.veil.crypto.Fingerprints.sha256(selfSigned).toUpperCase().replaceAll("(..)(?!$)", "$1:");
        ClientCertificates pinned = ClientCertificates.from(settings(List.of(), List.of(colons), ""));

        assertThat(pinned.enabled()).isTrue();
        assertThat(pinned.trusts(List.of(selfSigned))).isTrue();
        assertThat(pinned.trusts(List.of(connector, ca))).isFalse();
        assertThat(pinned.trusts(List.of())).isFalse();
    }

    @Test
    void aNameTrustsACertificateCarryingItThatChainsToTheConfiguredCa() throws Exception {
        ClientCertificates exact = ClientCertificates.from(settings(List.of("mail.protection.outlook.com"), List.of(),
                caPem.toString()));
        ClientCertificates wildcard = ClientCertificates.from(settings(List.of("*.protection.outlook.com"), List.of(),
                caPem.toString()));
        ClientCertificates otherName = ClientCertificates.from(settings(List.of("relay.partner.example"), List.of(),
                caPem.toString()));

        assertThat(exact.trusts(List.of(connector))).isTrue();
        assertThat(exact.trusts(List.of(connector, ca))).isTrue();
        assertThat(wildcard.trusts(List.of(connector))).isTrue();
        assertThat(otherName.trusts(List.of(connector))).as("the subject CN is not used when there are SANs").isFalse();
        assertThat(exact.trusts(List.of(expired))).as("expired").isFalse();
        assertThat(exact.trusts(List.of(otherCaLeaf))).as("same issuer name, other CA key").isFalse();
        assertThat(otherName.trusts(List.of(selfSigned))).as("self-signed, not from the CA").isFalse();
    }

    @Test
    void wildcardsMatchOnlyWholeLabelsBelowTheSuffix() throws Exception {
        ClientCertificates wildcard = ClientCertificates.from(settings(List.of("*.outlook.com"), List.of(),
                caPem.toString()));
        X509Certificate apex = certificate("CN=a", keys().getPublic(), "CN=Test Root CA", caKeys.getPrivate(), false,
                "outlook.com", 0);
        X509Certificate lookalike = certificate("CN=b", keys().getPublic(), "CN=Test Root CA", caKeys.getPrivate(),
                false, "eviloutlook.com", 0);

        assertThat(wildcard.trusts(List.of(connector))).isTrue();
        assertThat(wildcard.trusts(List.of(apex))).isFalse();
        assertThat(wildcard.trusts(List.of(lookalike))).isFalse();
    }

    /** Without SANs the subject's CN is the name, but only if there is one: which of several counts is not agreed. */
    @Test
    void aSubjectWithSeveralCommonNamesAndNoSanNamesNoOne() throws Exception {
        ClientCertificates exact = ClientCertificates.from(settings(List.of("mx.trusted.example"), List.of(),
                caPem.toString()));
        X509Certificate one = certificate("CN=mx.trusted.example", keys().getPublic(), "CN=Test Root CA",
                caKeys.getPrivate(), false, null, 0);
        X509Certificate two = certificate("CN=mx.evil.example,CN=mx.trusted.example", keys().getPublic(),
                "CN=Test Root CA", caKeys.getPrivate(), false, null, 0);
        X509Certificate twoOtherWay = certificate("CN=mx.trusted.example,CN=mx.evil.example", keys().getPublic(),
                "CN=Test Root CA", caKeys.getPrivate(), false, null, 0);

        assertThat(exact.trusts(List.of(one))).isTrue();
        assertThat(exact.trusts(List.of(two))).isFalse();
        assertThat(exact.trusts(List.of(twoOtherWay))).isFalse();
    }

    @Test
    void noSettingsAskForNoCertificate() throws Exception {
        assertThat(ClientCertificates.from(new ClientCertificateSettings()).enabled()).isFalse();
        assertThat(ClientCertificates.none().trusts(List.of(selfSigned))).isFalse();
    }

    @Test
    void badSettingsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> ClientCertificates.from(settings(List.of(), List.of("abc"), "")))
                .hasMessageContaining("outbound.clientCertificates.fingerprints").hasMessageContaining("'abc'");
        assertThatThrownBy(() -> ClientCertificates.from(settings(List.of("*"), List.of(), caPem.toString())))
                .hasMessageContaining("outbound.clientCertificates.names");
        assertThatThrownBy(() -> ClientCertificates.from(settings(List.of("a.*.example"), List.of(), caPem.toString())))
                .hasMessageContaining("outbound.clientCertificates.names");
        Path empty = dir.resolve("empty.pem");
        assertThatThrownBy(() -> {
            Files.writeString(empty, "");
            ClientCertificates.from(settings(List.of("x.example"), List.of(), empty.toString()));
        }).hasMessageContaining("outbound.clientCertificates.trustStore");
    }

    private static ClientCertificateSettings settings(List<String> names, List<String> fingerprints, String trustStore) {
        ClientCertificateSettings s = new ClientCertificateSettings();
        s.setNames(names);
        s.setFingerprints(fingerprints);
        s.setTrustStore(trustStore);
        return s;
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private static X509Certificate certificate(String subject, java.security.PublicKey key, String issuer,
                                               PrivateKey issuerKey, boolean isCa, String dnsName, int startDays)
            throws Exception {
        long start = System.currentTimeMillis() + startDays * DAY - DAY;
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(System.nanoTime()), new Date(start), new Date(start + 5 * DAY), new X500Name(subject),
                key);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (isCa) {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        }
        if (dnsName != null) {
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
        }
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }
}
