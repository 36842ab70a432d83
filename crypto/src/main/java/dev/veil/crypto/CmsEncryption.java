package dev.veil.crypto;

import dev.veil.config.ContentCipher;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSAuthEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.CMSEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.KeyTransRecipientInfoGenerator;
import org.bouncycastle.cms.RecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientInfoGenerator;

/**
 * Opens a streaming CMS encryption for a set of certificates: AES-256-GCM as AuthEnvelopedData (RFC 5083/5084)
 * or AES-256-CBC as EnvelopedData, the content key sent to each RSA certificate with RSA-OAEP (SHA-256,
 * MGF1-SHA-256; the JDK's provider) and to each EC certificate by ephemeral-static ECDH with AES key wrap.
 * The content is encrypted by the JDK's AES (SunJCE), which is much faster than Bouncy Castle's, through
 * {@link JdkContentEncryptor}.
 *
 * <p>Public so that the crypto benchmark can measure the CMS layer alone (no MIME, no base64).
 */
public final class CmsEncryption {
    /**
     * BER chunk size of the encrypted content octet string. Bouncy Castle allocates it per message; a chunk only
     * frames the ciphertext (6 bytes a chunk), so 16 KiB costs a 5 KB message less than 64 KiB and a 1 MB one nothing.
     */
    private static final int BUFFER_SIZE = 16 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int KEY_TRANSPORT_CACHE = 4096;
    private static final Map<X509Certificate, RecipientInfoGenerator> KEY_TRANSPORT = new ConcurrentHashMap<>();

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
                    generator.addRecipientInfoGenerator(recipientInfo(certificate));
                }
                return generator.open(der, JdkContentEncryptor.aes256Gcm());
            }
            CMSEnvelopedDataStreamGenerator generator = new CMSEnvelopedDataStreamGenerator();
            generator.setBufferSize(BUFFER_SIZE);
            for (X509Certificate certificate : recipients) {
                generator.addRecipientInfoGenerator(recipientInfo(certificate));
            }
            return generator.open(der, JdkContentEncryptor.aes256Cbc());
        } catch (CMSException | GeneralSecurityException e) {
            throw new KeyException("cannot set up " + cipher + " encryption: " + e.getMessage(), e);
        }
    }

    /** RSA certificates get the content key by key transport, EC certificates by key agreement. */
    private static RecipientInfoGenerator recipientInfo(X509Certificate certificate) throws GeneralSecurityException {
        PublicKey key = certificate.getPublicKey();
        if (key instanceof RSAPublicKey) {
            return keyTransport(certificate);
        }
        if (key instanceof ECPublicKey ec) {
            return keyAgreement(certificate, ec);
        }
        throw new GeneralSecurityException("certificate " + certificate.getSubjectX500Principal() + " has a "
                + key.getAlgorithm() + " key: S/MIME encryption needs an RSA or EC (P-256, P-384, P-521) key");
    }

    /**
     * Ephemeral-static ECDH (RFC 5753 section 3.1.1, as RFC 8551 requires of EC recipients): a fresh key pair on the
     * recipient's curve for every message, the X9.63 KDF with the SHA-2 hash that matches the curve's strength, and
     * the content key wrapped with AES-256 key wrap. This is what openssl cms and Outlook read.
     */
    private static RecipientInfoGenerator keyAgreement(X509Certificate certificate, ECPublicKey recipientKey)
            throws GeneralSecurityException {
        KeyPair ephemeral = ephemeralKeyPair(recipientKey);
        ASN1ObjectIdentifier kdf = switch (EcStrength.hashBits(recipientKey)) {
            case 512 -> CMSAlgorithm.ECDH_SHA512KDF;
            case 384 -> CMSAlgorithm.ECDH_SHA384KDF;
            default -> CMSAlgorithm.ECDH_SHA256KDF;
        };
        try {
            return new JceKeyAgreeRecipientInfoGenerator(kdf, ephemeral.getPrivate(), ephemeral.getPublic(),
                    CMSAlgorithm.AES256_WRAP)
                    .addRecipient(certificate)
                    .setProvider(Providers.BC);
        } catch (CertificateEncodingException e) {
            throw new GeneralSecurityException("certificate " + certificate.getSubjectX500Principal() + " cannot be encoded", e);
        }
    }

    /**
     * A fresh key pair on the recipient's curve: the JDK's for the NIST curves, Bouncy Castle's for the others a
     * recipient's certificate may use (brainpool, secp256k1), which the JDK's EC provider dropped in JDK 16.
     */
    private static KeyPair ephemeralKeyPair(ECPublicKey recipientKey) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        try {
            generator.initialize(recipientKey.getParams(), RANDOM);
        } catch (InvalidAlgorithmParameterException curveNotSupported) {
            generator = KeyPairGenerator.getInstance("EC", Providers.BC);
            generator.initialize(recipientKey.getParams(), RANDOM);
        }
        return generator.generateKeyPair();
    }

    /**
     * Key transport to an RSA certificate: recipient identified by issuer and serial number (what openssl's
     * {@code -recip} matches on), content key wrapped with RSA-OAEP by {@link JdkOaepKeyWrapper}. Generators are
     * kept per certificate: building one means reading the certificate's issuer, and a gateway encrypts to the same
     * certificates (users', the escrow's) all day. A generator holds no per-message state.
     */
    private static RecipientInfoGenerator keyTransport(X509Certificate certificate) {
        RecipientInfoGenerator known = KEY_TRANSPORT.get(certificate);
        if (known != null) {
            return known;
        }
        IssuerAndSerialNumber recipient = new IssuerAndSerialNumber(
                X500Name.getInstance(certificate.getIssuerX500Principal().getEncoded()), certificate.getSerialNumber());
        RecipientInfoGenerator generator = new KeyTransRecipientInfoGenerator(recipient,
                new JdkOaepKeyWrapper(certificate.getPublicKey())) {
        };
        if (KEY_TRANSPORT.size() >= KEY_TRANSPORT_CACHE) {
            KEY_TRANSPORT.clear(); // many more certificates than users: start over rather than grow
        }
        KEY_TRANSPORT.put(certificate, generator);
        return generator;
    }
}
