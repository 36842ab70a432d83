package dev.veil.crypto;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1SequenceParser;
import org.bouncycastle.asn1.ASN1StreamParser;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSAuthEnvelopedDataParser;
import org.bouncycastle.cms.CMSEnvelopedDataParser;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.KeyAgreeRecipientId;
import org.bouncycastle.cms.KeyTransRecipientId;
import org.bouncycastle.cms.Recipient;
import org.bouncycastle.cms.RecipientId;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.RecipientInformationStore;
import org.bouncycastle.cms.RecipientOperator;
import org.bouncycastle.operator.InputAEADDecryptor;
import org.bouncycastle.cms.jcajce.JceKeyAgreeAuthEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransAuthEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipient;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;

/**
 * Decrypts S/MIME EnvelopedData and AuthEnvelopedData (Veil's own or any other sender's, e.g. openssl's) with
 * whichever private key in the key store it was encrypted to, streaming the plaintext.
 *
 * <p>AES-GCM plaintext is streamed before the tag at the end is checked (holding a 25 MB message back would
 * need 25 MB of memory): if {@code open} throws, discard everything written to the output.
 * Thread-safe.
 */
public final class SmimeOpener {
    private static final int BUFFER = 64 * 1024;
    // every content encryption Bouncy Castle can open, so that reports name it rather than print an OID
    private static final Map<ASN1ObjectIdentifier, String> ALGORITHM_NAMES = Map.ofEntries(
            Map.entry(CMSAlgorithm.AES256_GCM, "AES-256-GCM"),
            Map.entry(CMSAlgorithm.AES192_GCM, "AES-192-GCM"),
            Map.entry(CMSAlgorithm.AES128_GCM, "AES-128-GCM"),
            Map.entry(CMSAlgorithm.AES256_CCM, "AES-256-CCM"),
            Map.entry(CMSAlgorithm.AES192_CCM, "AES-192-CCM"),
            Map.entry(CMSAlgorithm.AES128_CCM, "AES-128-CCM"),
            Map.entry(CMSAlgorithm.AES256_CBC, "AES-256-CBC"),
            Map.entry(CMSAlgorithm.AES192_CBC, "AES-192-CBC"),
            Map.entry(CMSAlgorithm.AES128_CBC, "AES-128-CBC"),
            Map.entry(CMSAlgorithm.CAMELLIA256_CBC, "Camellia-256-CBC"),
            Map.entry(CMSAlgorithm.CAMELLIA192_CBC, "Camellia-192-CBC"),
            Map.entry(CMSAlgorithm.CAMELLIA128_CBC, "Camellia-128-CBC"),
            Map.entry(CMSAlgorithm.DES_EDE3_CBC, "3DES-CBC"),
            Map.entry(CMSAlgorithm.DES_CBC, "DES-CBC"),
            Map.entry(CMSAlgorithm.RC2_CBC, "RC2-CBC"));

    private final VeilKeys keys;

    public SmimeOpener(VeilKeys keys) {
        this.keys = keys;
    }

    /**
     * Decrypts a whole S/MIME message ({@code application/pkcs7-mime}, base64 or binary body) and writes the
     * inner message to {@code plaintext}.
     *
     * @throws KeyMissingException if no key in the store was a recipient; the message names the recipients
     * @throws IOException if the message is not S/MIME encrypted, is damaged, or was altered
     */
    public OpenReport open(InputStream sealedMessage, OutputStream plaintext) throws KeyException, IOException {
        InputStream in = new BufferedInputStream(sealedMessage, BUFFER);
        HeaderBlock header = HeaderBlock.read(in);
        String type = header.first("Content-Type").map(field -> ContentType.parse(field.value()).value()).orElse("text/plain");
        if (!type.equals("application/pkcs7-mime") && !type.equals("application/x-pkcs7-mime")) {
            throw new IOException("not an S/MIME encrypted message: its Content-Type is " + type);
        }
        String encoding = header.first("Content-Transfer-Encoding")
                .map(field -> field.value().toLowerCase(Locale.ROOT)).orElse("7bit");
        InputStream body = new SequenceInputStream(new ByteArrayInputStream(header.consumedBody()), in);
        return openCms(encoding.equals("base64") ? new Base64MimeInputStream(body) : body, plaintext);
    }

    /** Decrypts a DER/BER CMS ContentInfo (EnvelopedData or AuthEnvelopedData). */
    public OpenReport openCms(InputStream cms, OutputStream plaintext) throws KeyException, IOException {
        BufferedInputStream in = new BufferedInputStream(cms, BUFFER);
        in.mark(BUFFER);
        ASN1ObjectIdentifier contentType = contentType(in);
        in.reset();
        try {
            if (CMSObjectIdentifiers.authEnvelopedData.equals(contentType)) {
                CMSAuthEnvelopedDataParser parser = new CMSAuthEnvelopedDataParser(in);
                return decrypt(parser.getRecipientInfos(), parser.getEncryptionAlgOID().getAlgorithm(), true, plaintext);
            }
            if (CMSObjectIdentifiers.envelopedData.equals(contentType)) {
                CMSEnvelopedDataParser parser = new CMSEnvelopedDataParser(in);
                return decrypt(parser.getRecipientInfos(), parser.getContentEncryptionAlgorithm().getAlgorithm(), false, plaintext);
            }
        } catch (CMSException e) {
            throw new IOException("S/MIME content is damaged: " + e.getMessage(), e);
        }
        throw new IOException("S/MIME content is " + contentType + ", not enveloped or authEnveloped data");
    }

    private OpenReport decrypt(RecipientInformationStore recipients, ASN1ObjectIdentifier algorithm, boolean authenticated,
                               OutputStream plaintext)
            throws KeyException, IOException {
        List<KeyEntry> candidates = keys.decryptionEntries();
        for (RecipientInformation recipient : recipients.getRecipients()) {
            RecipientId id = recipient.getRID();
            if (!(id instanceof KeyTransRecipientId) && !(id instanceof KeyAgreeRecipientId)) {
                continue; // KEK / password recipients: Veil's keys are certificates' key pairs only
            }
            for (KeyEntry entry : candidates) {
                if (id.match(holder(entry))) {
                    copyPlaintext(recipient, entry, authenticated, plaintext);
                    return new OpenReport(entry.fingerprint(), ALGORITHM_NAMES.getOrDefault(algorithm, algorithm.getId()));
                }
            }
        }
        throw new KeyMissingException("no key in the key store can decrypt this message; it was encrypted for: "
                + describe(recipients));
    }

    private void copyPlaintext(RecipientInformation recipient, KeyEntry entry, boolean authenticated,
                               OutputStream plaintext) throws KeyException, IOException {
        PrivateKey privateKey = keys.unwrap(entry);
        try (InputStream content = recipient.getContentStream(recipientFor(recipient, privateKey, authenticated))
                .getContentStream()) {
            content.transferTo(plaintext);
        } catch (CMSException e) {
            throw new KeyException("key '" + entry.id() + "' could not decrypt the content key: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException("decryption failed — the message was altered or damaged (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The recipient class must match the structure: an enveloped-data recipient on authEnveloped data decrypts GCM
     * as if it were unauthenticated and returns garbage without any error. CBC content is decrypted by the JDK's
     * fast AES; GCM with a 12-byte nonce by the JDK's AES too, streaming ({@link JdkGcmDecryptor}), because the JDK's
     * GCM cipher holds back all plaintext until the tag is checked (memory grows with the message); other GCM
     * content by Bouncy Castle's, which streams and checks at the end but is some 36 times slower.
     */
    private static Recipient recipientFor(RecipientInformation recipient, PrivateKey privateKey, boolean authenticated) {
        if (recipient.getRID() instanceof KeyAgreeRecipientId) {
            JceKeyAgreeRecipient agreement = authenticated
                    ? new JdkGcmKeyAgreeRecipient(privateKey)
                    : new JceKeyAgreeEnvelopedRecipient(privateKey);
            agreement.setProvider(Providers.BC);
            return authenticated ? agreement.setContentProvider(Providers.BC) : agreement.setContentProvider(Providers.JDK_AES);
        }
        JceKeyTransRecipient keyTransport = authenticated
                ? new JdkGcmKeyTransRecipient(privateKey)
                : new JceKeyTransEnvelopedRecipient(privateKey);
        keyTransport.setProvider(Providers.BC);
        return authenticated ? keyTransport.setContentProvider(Providers.BC) : keyTransport.setContentProvider(Providers.JDK_AES);
    }

    /** Key transport whose GCM content goes through {@link JdkGcmDecryptor} where it can. */
    private static final class JdkGcmKeyTransRecipient extends JceKeyTransAuthEnvelopedRecipient {
        JdkGcmKeyTransRecipient(PrivateKey key) {
            super(key);
        }

        @Override
        public RecipientOperator getRecipientOperator(AlgorithmIdentifier keyAlgorithm, AlgorithmIdentifier contentAlgorithm,
                                                      byte[] encryptedKey) throws CMSException {
            Optional<InputAEADDecryptor> jdk = JdkGcmDecryptor.of(contentAlgorithm,
                    () -> extractSecretKey(keyAlgorithm, contentAlgorithm, encryptedKey));
            return jdk.isPresent() ? new RecipientOperator(jdk.get())
                    : super.getRecipientOperator(keyAlgorithm, contentAlgorithm, encryptedKey);
        }
    }

    /** Key agreement whose GCM content goes through {@link JdkGcmDecryptor} where it can. */
    private static final class JdkGcmKeyAgreeRecipient extends JceKeyAgreeAuthEnvelopedRecipient {
        JdkGcmKeyAgreeRecipient(PrivateKey key) {
            super(key);
        }

        @Override
        public RecipientOperator getRecipientOperator(AlgorithmIdentifier keyAlgorithm, AlgorithmIdentifier contentAlgorithm,
                                                      SubjectPublicKeyInfo senderKey, ASN1OctetString userKeyingMaterial,
                                                      byte[] encryptedKey) throws CMSException {
            Optional<InputAEADDecryptor> jdk = JdkGcmDecryptor.of(contentAlgorithm,
                    () -> extractSecretKey(keyAlgorithm, contentAlgorithm, senderKey, userKeyingMaterial, encryptedKey));
            return jdk.isPresent() ? new RecipientOperator(jdk.get())
                    : super.getRecipientOperator(keyAlgorithm, contentAlgorithm, senderKey, userKeyingMaterial, encryptedKey);
        }
    }

    private static JcaX509CertificateHolder holder(KeyEntry entry) throws KeyException {
        try {
            return new JcaX509CertificateHolder(entry.certificate());
        } catch (CertificateEncodingException e) {
            throw new KeyException("certificate of key entry '" + entry.id() + "' cannot be encoded", e);
        }
    }

    private static String describe(RecipientInformationStore recipients) {
        List<String> ids = new ArrayList<>();
        for (RecipientInformation recipient : recipients.getRecipients()) {
            RecipientId id = recipient.getRID();
            if (id instanceof KeyTransRecipientId keyTrans) {
                ids.add(describe(keyTrans.getSubjectKeyIdentifier(), keyTrans.getIssuer(), keyTrans.getSerialNumber()));
            } else if (id instanceof KeyAgreeRecipientId keyAgree) {
                ids.add(describe(keyAgree.getSubjectKeyIdentifier(), keyAgree.getIssuer(), keyAgree.getSerialNumber())
                        + " (key agreement)");
            } else {
                ids.add(id.getClass().getSimpleName() + " (not supported)");
            }
        }
        return ids.isEmpty() ? "(no recipients)" : String.join("; ", ids);
    }

    private static String describe(byte[] subjectKeyIdentifier, X500Name issuer, BigInteger serial) {
        if (subjectKeyIdentifier != null) {
            return "subjectKeyIdentifier " + HexFormat.of().formatHex(subjectKeyIdentifier);
        }
        return "issuer \"" + issuer + "\" serial " + serial.toString(16);
    }

    /** Reads just the ContentInfo's content type, so the right parser can be chosen. */
    private static ASN1ObjectIdentifier contentType(InputStream in) throws IOException {
        try {
            ASN1Encodable outer = new ASN1StreamParser(in).readObject();
            if (outer instanceof ASN1SequenceParser sequence) {
                ASN1Encodable type = sequence.readObject();
                if (type instanceof ASN1ObjectIdentifier oid) {
                    return oid;
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IOException("S/MIME content is not a CMS structure: " + e.getMessage(), e);
        }
        throw new IOException("S/MIME content is not a CMS ContentInfo");
    }
}
