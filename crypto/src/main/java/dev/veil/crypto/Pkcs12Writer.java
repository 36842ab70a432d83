package dev.veil.crypto;

import java.io.IOException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.crypto.util.PBKDF2Config;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS12PfxPduBuilder;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS12SafeBagBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCS12MacCalculatorBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;

/**
 * PKCS#12 files in the modern form only: PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC for both the key
 * and the certificates, and an HMAC-SHA256 integrity MAC. OpenSSL 3 reads them without {@code -legacy};
 * nothing in them uses 3DES or RC2.
 */
final class Pkcs12Writer {
    /**
     * The MAC's key derivation is a second way to test a password guess, so it gets the same work factor
     * as the encryption, not OpenSSL's default 2048.
     */
    static final int ITERATIONS = 100_000;

    private Pkcs12Writer() {
    }

    /** A certificate with its private key, under a name a key store shows. */
    record Pair(String friendlyName, X509Certificate certificate, PrivateKey privateKey) {
    }

    static byte[] write(String friendlyName, X509Certificate certificate, PrivateKey privateKey,
                        X509Certificate issuer, char[] password) throws KeyException {
        return write(java.util.List.of(new Pair(friendlyName, certificate, privateKey)), issuer, password);
    }

    /**
     * Several pairs in one file, the first one first (OpenSSL's {@code pkcs12 -nodes} output, and so
     * {@code cms -decrypt -inkey}, takes the first key); each key is tied to its certificate by localKeyId.
     */
    static byte[] write(java.util.List<Pair> pairs, X509Certificate issuer, char[] password) throws KeyException {
        String friendlyName = pairs.get(0).friendlyName();
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            java.util.List<PKCS12SafeBag> certificates = new java.util.ArrayList<>();
            java.util.List<PKCS12SafeBag> keys = new java.util.ArrayList<>();
            for (Pair pair : pairs) {
                var localKeyId = utils.createSubjectKeyIdentifier(pair.certificate().getPublicKey());
                JcaPKCS12SafeBagBuilder certificateBag = new JcaPKCS12SafeBagBuilder(pair.certificate());
                certificateBag.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName,
                        new DERBMPString(pair.friendlyName()));
                certificateBag.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId);
                certificates.add(certificateBag.build());

                JcaPKCS12SafeBagBuilder keyBag = new JcaPKCS12SafeBagBuilder(pair.privateKey(), encryptor(password));
                keyBag.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, new DERBMPString(pair.friendlyName()));
                keyBag.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId);
                keys.add(keyBag.build());
            }
            certificates.add(new JcaPKCS12SafeBagBuilder(issuer).build());

            PKCS12PfxPduBuilder pfx = new PKCS12PfxPduBuilder();
            pfx.addEncryptedData(encryptor(password), certificates.toArray(PKCS12SafeBag[]::new));
            for (PKCS12SafeBag key : keys) {
                pfx.addData(key);
            }
            return pfx.build(new JcePKCS12MacCalculatorBuilder(NISTObjectIdentifiers.id_sha256)
                    .setProvider(Providers.BC).setIterationCount(ITERATIONS), password).getEncoded();
        } catch (IOException | PKCSException | OperatorCreationException | java.security.GeneralSecurityException e) {
            throw new KeyException("cannot build PKCS#12 for " + friendlyName + ": " + e.getMessage(), e);
        }
    }

    private static OutputEncryptor encryptor(char[] password) throws OperatorCreationException {
        PBKDF2Config kdf = new PBKDF2Config.Builder()
                .withPRF(PBKDF2Config.PRF_SHA256)
                .withIterationCount(ITERATIONS)
                .withSaltLength(16)
                .build();
        return new JcePKCSPBEOutputEncryptorBuilder(kdf, NISTObjectIdentifiers.id_aes256_CBC).setProvider(Providers.BC).build(password);
    }
}
