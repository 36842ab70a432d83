package dev.veil.crypto;

import dev.veil.config.ContentCipher;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.util.List;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cms.CMSAuthEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.CMSEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.RecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.operator.jcajce.JcaAlgorithmParametersConverter;

/**
 * Opens a streaming CMS encryption for a set of certificates: AES-256-GCM as AuthEnvelopedData (RFC 5083/5084)
 * or AES-256-CBC as EnvelopedData, the content key sent to each certificate with RSA-OAEP (SHA-256, MGF1-SHA-256).
 * The content is encrypted by the JDK's AES (SunJCE), which is much faster than Bouncy Castle's, through
 * {@link JdkContentEncryptor}.
 *
 * <p>Public so that the crypto benchmark can measure the CMS layer alone (no MIME, no base64).
 */
public final class CmsEncryption {
    /** BER chunk size of the encrypted content octet string. */
    private static final int BUFFER_SIZE = 64 * 1024;

    private CmsEncryption() {
    }

    /** Returns the stream to write plaintext to; closing it writes the end of the CMS structure (not closing {@code der}). */
    public static OutputStream open(ContentCipher cipher, List<X509Certificate> recipients, OutputStream der)
            throws KeyException, IOException {
        try {
            if (cipher == ContentCipher.AES_256_GCM) {
                CMSAuthEnvelopedDataStreamGenerator generator = new CMSAuthEnvelopedDataStreamGenerator();
                generator.setBufferSize(BUFFER_SIZE);
                for (X509Certificate certificate : recipients) {
                    generator.addRecipientInfoGenerator(keyTransport(certificate));
                }
                return generator.open(der, JdkContentEncryptor.aes256Gcm());
            }
            CMSEnvelopedDataStreamGenerator generator = new CMSEnvelopedDataStreamGenerator();
            generator.setBufferSize(BUFFER_SIZE);
            for (X509Certificate certificate : recipients) {
                generator.addRecipientInfoGenerator(keyTransport(certificate));
            }
            return generator.open(der, JdkContentEncryptor.aes256Cbc());
        } catch (CMSException | GeneralSecurityException e) {
            throw new KeyException("cannot set up " + cipher + " encryption: " + e.getMessage(), e);
        }
    }

    private static RecipientInfoGenerator keyTransport(X509Certificate certificate)
            throws GeneralSecurityException {
        AlgorithmIdentifier oaep = new JcaAlgorithmParametersConverter().getAlgorithmIdentifier(
                PKCSObjectIdentifiers.id_RSAES_OAEP,
                new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
        try {
            // Identified by issuer and serial number: what openssl's -recip matches on.
            return new JceKeyTransRecipientInfoGenerator(certificate, oaep).setProvider(Providers.BC);
        } catch (CertificateEncodingException e) {
            throw new GeneralSecurityException("certificate " + certificate.getSubjectX500Principal() + " cannot be encoded", e);
        }
    }
}
