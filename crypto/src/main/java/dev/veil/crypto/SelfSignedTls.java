package dev.veil.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The SMTP listener's STARTTLS identity: a PKCS#12 key store from the admin, or a self-signed certificate Veil
 * generates on first start (opportunistic TLS between MTAs rarely verifies certificates; it still encrypts).
 */
public final class SelfSignedTls {
    private SelfSignedTls() {
    }

    /** Loads {@code keyStore} when given, else {@code dataDir/tls/smtp.p12}, generating it on first use. */
    public static SSLContext serverContext(Path keyStore, char[] password, Path generatedDir, String hostname)
            throws IOException, GeneralSecurityException {
        return serverContext(keyStore, password, generatedDir, hostname, null);
    }

    /**
     * As {@link #serverContext(Path, char[], Path, String)}, judging client certificates with {@code clientTrust}
     * (a listener that asks clients for one); {@code null}: the JDK's default.
     */
    public static SSLContext serverContext(Path keyStore, char[] password, Path generatedDir, String hostname,
                                           javax.net.ssl.TrustManager clientTrust)
            throws IOException, GeneralSecurityException {
        if (keyStore != null) {
            return context(load(keyStore, password), password, clientTrust);
        }
        Path file = generatedDir.resolve("smtp.p12");
        Path passwordFile = generatedDir.resolve("smtp.p12.password");
        if (!Files.exists(file)) {
            Files.createDirectories(generatedDir);
            char[] generatedPassword = Base64.getEncoder().withoutPadding()
                    .encodeToString(new SecureRandom().generateSeed(18)).toCharArray();
            KeyStore store = generate(hostname, generatedPassword);
            Path tmp = Files.createTempFile(generatedDir, "smtp", ".p12.tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.TRUNCATE_EXISTING)) {
                store.store(out, generatedPassword);
            }
            Files.writeString(passwordFile, new String(generatedPassword), StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, file);
        }
        char[] stored = Files.readString(passwordFile).trim().toCharArray();
        return context(load(file, stored), stored, clientTrust);
    }

    private static KeyStore load(Path file, char[] password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password);
        }
        return store;
    }

    private static SSLContext context(KeyStore store, char[] password, javax.net.ssl.TrustManager clientTrust)
            throws GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), clientTrust == null ? null : new javax.net.ssl.TrustManager[] {clientTrust},
                null);
        return context;
    }

    private static KeyStore generate(String hostname, char[] password) throws GeneralSecurityException, IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256);
            KeyPair pair = generator.generateKeyPair();
            X500Name name = new X500Name("CN=" + hostname.replaceAll("[,=+<>#;\"\\\\]", ""));
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofDays(1))),
                    Date.from(now.plus(Duration.ofDays(3650))), name, pair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, hostname)));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("smtp", pair.getPrivate(), password, new X509Certificate[] {certificate});
            return store;
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }
}
