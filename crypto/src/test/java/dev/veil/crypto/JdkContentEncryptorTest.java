package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.ContentCipher;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Random;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.cms.AuthEnvelopedData;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.GCMParameters;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.cms.CMSAuthEnvelopedDataParser;
import org.bouncycastle.cms.CMSEnvelopedDataParser;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.RecipientInformationStore;
import org.bouncycastle.cms.jcajce.JceKeyTransAuthEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Veil's own CMS content encryptor, read back by Bouncy Castle's stock CMS parsers with Bouncy Castle's provider
 * (not by Veil's opener), whatever the sizes of the writes. OpenSSL reads it too: see {@link SmimeSealerTest}.
 */
class JdkContentEncryptorTest {
    private static DecryptionKey escrow;

    @BeforeAll
    static void keys() throws KeyException {
        escrow = SharedKeyStore.get().keys.decryptionKeys().stream()
                .filter(k -> {
                    try {
                        return k.certificate().equals(SharedKeyStore.get().keys.escrowCertificate());
                    } catch (KeyException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .findFirst().orElseThrow();
    }

    @ParameterizedTest
    @EnumSource(ContentCipher.class)
    void bouncyCastleReadsWhatItWroteForEveryPatternOfWrites(ContentCipher cipher) throws Exception {
        Random random = new Random(7);
        for (int size : new int[] {0, 1, 15, 16, 17, 65_535, 65_536, 200_003}) {
            byte[] content = new byte[size];
            random.nextBytes(content);
            // one write; 1-byte writes (small only); writes of random lengths
            assertThat(open(cipher, seal(cipher, content, size))).as("%s, %d bytes in one write", cipher, size)
                    .isEqualTo(content);
            if (size <= 65_536) {
                assertThat(open(cipher, seal(cipher, content, 1))).as("%s, %d bytes byte by byte", cipher, size)
                        .isEqualTo(content);
            }
            assertThat(open(cipher, sealRandomly(cipher, content, random))).as("%s, %d bytes in random writes",
                    cipher, size).isEqualTo(content);
        }
    }

    @Test
    void gcmParametersAreATwelveByteNonceAndASixteenByteTagFreshForEachMessage() throws Exception {
        GCMParameters first = gcmParameters(seal(ContentCipher.AES_256_GCM, new byte[10], 10));
        GCMParameters second = gcmParameters(seal(ContentCipher.AES_256_GCM, new byte[10], 10));
        assertThat(first.getNonce()).hasSize(12);
        assertThat(first.getIcvLen()).isEqualTo(16);
        assertThat(second.getNonce()).isNotEqualTo(first.getNonce());
    }

    @Test
    void aChangedCiphertextByteFailsTheTag() throws Exception {
        byte[] content = new byte[5000];
        byte[] der = seal(ContentCipher.AES_256_GCM, content, 5000);
        der[der.length - 200] ^= 1; // inside the encrypted content, before the tag
        assertThatThrownBy(() -> open(ContentCipher.AES_256_GCM, der))
                .hasRootCauseInstanceOf(javax.crypto.AEADBadTagException.class);
    }

    private static byte[] seal(ContentCipher cipher, byte[] content, int chunk) throws Exception {
        ByteArrayOutputStream der = new ByteArrayOutputStream();
        try (OutputStream plaintext = CmsEncryption.open(cipher, List.of(escrow.certificate()), der)) {
            for (int at = 0; at < content.length; at += chunk) {
                plaintext.write(content, at, Math.min(chunk, content.length - at));
            }
        }
        return der.toByteArray();
    }

    private static byte[] sealRandomly(ContentCipher cipher, byte[] content, Random random) throws Exception {
        ByteArrayOutputStream der = new ByteArrayOutputStream();
        try (OutputStream plaintext = CmsEncryption.open(cipher, List.of(escrow.certificate()), der)) {
            int at = 0;
            while (at < content.length) {
                int n = Math.min(content.length - at, random.nextInt(100_000));
                plaintext.write(content, at, n);
                at += n;
            }
        }
        return der.toByteArray();
    }

    private static byte[] open(ContentCipher cipher, byte[] der) throws Exception {
        RecipientInformationStore recipients = cipher == ContentCipher.AES_256_GCM
                ? new CMSAuthEnvelopedDataParser(new ByteArrayInputStream(der)).getRecipientInfos()
                : new CMSEnvelopedDataParser(new ByteArrayInputStream(der)).getRecipientInfos();
        RecipientInformation recipient = recipients.getRecipients().iterator().next();
        try {
            return recipient.getContent(cipher == ContentCipher.AES_256_GCM
                    ? new JceKeyTransAuthEnvelopedRecipient(escrow.privateKey()).setProvider(Providers.BC)
                            .setContentProvider(Providers.BC)
                    : new JceKeyTransEnvelopedRecipient(escrow.privateKey()).setProvider(Providers.BC)
                            .setContentProvider(Providers.BC));
        } catch (CMSException e) {
            throw new IllegalStateException(e.getMessage() + (e.getCause() == null ? "" : ": " + e.getCause()), e);
        }
    }

    private static GCMParameters gcmParameters(byte[] der) {
        ContentInfo info = ContentInfo.getInstance(ASN1Sequence.getInstance(der));
        AuthEnvelopedData data = AuthEnvelopedData.getInstance(info.getContent());
        assertThat(data.getAuthEncryptedContentInfo().getContentEncryptionAlgorithm().getAlgorithm())
                .isEqualTo(NISTObjectIdentifiers.id_aes256_GCM);
        return GCMParameters.getInstance(data.getAuthEncryptedContentInfo().getContentEncryptionAlgorithm()
                .getParameters());
    }
}
