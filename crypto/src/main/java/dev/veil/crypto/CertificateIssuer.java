package dev.veil.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.time.Duration;
import java.time.Instant;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Builds the organisation CA certificate and the certificates it issues (escrow, users). */
final class CertificateIssuer {
    static final Duration ESCROW_VALIDITY = Duration.ofDays(3652);
    static final Duration USER_VALIDITY = Duration.ofDays(730);
    /** Backdating absorbs clock skew between the gateway and the clients that check validity. */
    private static final Duration BACKDATE = Duration.ofHours(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateIssuer() {
    }

    static X509Certificate selfSignedCa(String organisation, String commonName, Period validity, KeyPair keyPair)
            throws KeyException {
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, organisation)
                .addRDN(BCStyle.CN, commonName)
                .build();
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            Instant now = Instant.now();
            Duration days = Duration.between(now, now.atZone(ZoneOffset.UTC).plus(validity).toInstant());
            X509v3CertificateBuilder builder = builder(subject, subject, keyPair.getPublic(), days)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keyPair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(keyPair.getPublic()));
            return sign(builder, keyPair.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new KeyException("cannot create the organisation CA certificate: " + e.getMessage(), e);
        }
    }

    static X509Certificate escrow(String organisation, PublicKey publicKey, X509Certificate ca, PrivateKey caKey) throws KeyException {
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, organisation)
                .addRDN(BCStyle.CN, organisation + " Veil escrow")
                .build();
        return endEntity(subject, null, publicKey, ca, caKey, ESCROW_VALIDITY, receivingUsage(publicKey));
    }

    /** A user's S/MIME certificate: subject CN and emailAddress and SubjectAltName rfc822Name are the address. */
    static X509Certificate user(String address, PublicKey publicKey, X509Certificate ca, PrivateKey caKey) throws KeyException {
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, address)
                .addRDN(BCStyle.EmailAddress, address)
                .build();
        return endEntity(subject, new GeneralNames(new GeneralName(GeneralName.rfc822Name, address)), publicKey, ca, caKey,
                USER_VALIDITY, receivingUsage(publicKey) | KeyUsage.digitalSignature);
    }

    /**
     * The key usage a key needs to receive mail: an RSA key takes the content key by key transport
     * (keyEncipherment), an EC key by key agreement (keyAgreement, RFC 5753 and RFC 8551 section 4.4); openssl and
     * Outlook refuse a certificate whose usage does not match what the message uses.
     */
    static int receivingUsage(PublicKey publicKey) {
        return publicKey.getAlgorithm().equals("EC") ? KeyUsage.keyAgreement : KeyUsage.keyEncipherment;
    }

    /** SHA256withRSA for an RSA CA; ECDSA with the hash that matches the curve's strength for an EC CA. */
    static String signatureAlgorithm(PrivateKey signer) {
        if (signer instanceof ECKey ec) {
            return "SHA" + EcStrength.hashBits(ec) + "withECDSA";
        }
        return "SHA256withRSA";
    }

    private static X509Certificate endEntity(X500Name subject, GeneralNames altNames, PublicKey publicKey,
                                             X509Certificate ca, PrivateKey caKey, Duration validity, int keyUsage)
            throws KeyException {
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = builder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                    subject, publicKey, validity)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_emailProtection))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(publicKey))
                    .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(ca));
            if (altNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, altNames);
            }
            return sign(builder, caKey);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new KeyException("cannot issue a certificate for " + subject + ": " + e.getMessage(), e);
        }
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, PublicKey publicKey, Duration validity) {
        Instant now = Instant.now();
        // 159 random bits: positive, unique with overwhelming probability, within RFC 5280's 20 octets.
        BigInteger serial = new BigInteger(159, RANDOM).setBit(0);
        return new JcaX509v3CertificateBuilder(issuer, serial, Date.from(now.minus(BACKDATE)),
                Date.from(now.plus(validity)), subject, publicKey);
    }

    /**
     * A CRL of the CA listing the revoked serial numbers (with their revocation times), issued {@code now} and valid
     * for {@code validity}, with the two extensions RFC 5280 section 5.2 requires of a conforming CA: the CRL number
     * (monotonically increasing, {@code number}) and the authority key identifier (the CA certificate's subject key
     * identifier, so relying parties find the key to verify with).
     */
    static byte[] crl(X509Certificate ca, PrivateKey caKey, java.util.Map<java.math.BigInteger, Instant> revoked,
                      BigInteger number, Instant now, Duration validity) throws KeyException {
        org.bouncycastle.cert.X509v2CRLBuilder builder = new org.bouncycastle.cert.X509v2CRLBuilder(
                X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()), Date.from(now));
        builder.setNextUpdate(Date.from(now.plus(validity)));
        revoked.forEach((serial, when) -> builder.addCRLEntry(serial, Date.from(when),
                org.bouncycastle.asn1.x509.CRLReason.unspecified));
        try {
            builder.addExtension(Extension.cRLNumber, false, new org.bouncycastle.asn1.x509.CRLNumber(number));
            builder.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier(ca));
            return builder.build(new JcaContentSignerBuilder(signatureAlgorithm(caKey)).setProvider(Providers.BC).build(caKey))
                    .getEncoded();
        } catch (OperatorCreationException | GeneralSecurityException | java.io.IOException e) {
            throw new KeyException("cannot sign the certificate revocation list: " + e.getMessage(), e);
        }
    }

    /** The key identifier of the CA certificate's SKI (what certificates it issued carry), else one derived from its key. */
    private static org.bouncycastle.asn1.x509.AuthorityKeyIdentifier authorityKeyIdentifier(X509Certificate ca)
            throws GeneralSecurityException, java.io.IOException {
        byte[] extension = ca.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (extension == null) {
            return new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.getPublicKey());
        }
        byte[] keyIdentifier = org.bouncycastle.asn1.x509.SubjectKeyIdentifier.getInstance(
                JcaX509ExtensionUtils.parseExtensionValue(extension)).getKeyIdentifier();
        return new org.bouncycastle.asn1.x509.AuthorityKeyIdentifier(keyIdentifier);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().setProvider(Providers.BC)
                    .getCertificate(builder.build(new JcaContentSignerBuilder(signatureAlgorithm(signer)).setProvider(Providers.BC).build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }
}
