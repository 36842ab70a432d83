package dev.veil.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.cms.GCMParameters;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.GenericKey;
import org.bouncycastle.operator.OutputAEADEncryptor;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.operator.jcajce.JceGenericKey;

/**
 * CMS content encryption with the JDK's AES (SunJCE), streaming into one reused buffer.
 *
 * <p>Why not Bouncy Castle's {@code JceCMSContentEncryptorBuilder} with the JDK provider: its stream calls
 * {@code Cipher.update(byte[], int, int)}, which allocates a new array for every chunk, and for GCM it then copies
 * every byte once more to hold back the tag. On a 1 MB message that cost about half again the time of the cipher
 * itself. Here each chunk is encrypted into a buffer kept for the message, and the tag is split off the last
 * {@code doFinal} only.
 */
final class JdkContentEncryptor {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Bytes of the GCM authentication tag (RFC 5084: 12 to 16; 16 is what every reader accepts). */
    private static final int TAG_LENGTH = 16;
    /** RFC 5084 recommends a 12-byte nonce. */
    private static final int NONCE_LENGTH = 12;

    private JdkContentEncryptor() {
    }

    /** AES-256-GCM for AuthEnvelopedData (RFC 5083/5084). */
    static OutputAEADEncryptor aes256Gcm() throws GeneralSecurityException {
        SecretKey key = newKey();
        byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", Providers.JDK_AES);
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
        AlgorithmIdentifier algorithm = new AlgorithmIdentifier(NISTObjectIdentifiers.id_aes256_GCM,
                new GCMParameters(nonce, TAG_LENGTH));
        return new Gcm(algorithm, key, cipher);
    }

    /** AES-256-CBC (PKCS#7 padding) for EnvelopedData. */
    static OutputEncryptor aes256Cbc() throws GeneralSecurityException {
        SecretKey key = newKey();
        byte[] iv = new byte[16];
        RANDOM.nextBytes(iv);
        Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding", Providers.JDK_AES);
        cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
        AlgorithmIdentifier algorithm = new AlgorithmIdentifier(NISTObjectIdentifiers.id_aes256_CBC,
                new DEROctetString(iv));
        return new Cbc(algorithm, key, cipher);
    }

    /** What is written goes to {@code cipher} as additional authenticated data (GCM, before any content). */
    static OutputStream aadStream(Cipher cipher) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                cipher.updateAAD(new byte[] {(byte) b});
            }

            @Override
            public void write(byte[] b, int off, int len) {
                cipher.updateAAD(b, off, len);
            }
        };
    }

    /** 32 random bytes: what the JDK's AES KeyGenerator makes, without a provider lookup per message. */
    private static SecretKey newKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return new SecretKeySpec(key, "AES");
    }

    /** What both content encryptors are: an algorithm identifier, a content key and the cipher set up with it. */
    private abstract static class Encryptor implements OutputEncryptor {
        final AlgorithmIdentifier algorithm;
        final SecretKey key;
        final Cipher cipher;

        Encryptor(AlgorithmIdentifier algorithm, SecretKey key, Cipher cipher) {
            this.algorithm = algorithm;
            this.key = key;
            this.cipher = cipher;
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return algorithm;
        }

        @Override
        public GenericKey getKey() {
            return new JceGenericKey(algorithm, key);
        }
    }

    private static final class Cbc extends Encryptor {
        Cbc(AlgorithmIdentifier algorithm, SecretKey key, Cipher cipher) {
            super(algorithm, key, cipher);
        }

        @Override
        public OutputStream getOutputStream(OutputStream out) {
            // Bouncy Castle's EnvelopedData generator leaves ending the content octet string to this stream
            return new EncryptingStream(cipher, out, 0, true);
        }
    }

    private static final class Gcm extends Encryptor implements OutputAEADEncryptor {
        private EncryptingStream stream;

        Gcm(AlgorithmIdentifier algorithm, SecretKey key, Cipher cipher) {
            super(algorithm, key, cipher);
        }

        @Override
        public OutputStream getOutputStream(OutputStream out) {
            // the AuthEnvelopedData generator ends the content octet string itself, after this stream
            stream = new EncryptingStream(cipher, out, TAG_LENGTH, false);
            return stream;
        }

        /** Authenticated attributes go in as additional authenticated data, before any content. */
        @Override
        public OutputStream getAADStream() {
            return aadStream(cipher);
        }

        @Override
        public byte[] getMAC() {
            if (stream == null || stream.tag == null) {
                throw new IllegalStateException("the GCM tag exists only once the content stream is closed");
            }
            return stream.tag.clone();
        }
    }

    /**
     * Encrypts what is written into {@code out}; {@link #close()} finishes the cipher and keeps the last
     * {@code tagLength} bytes of its output as the tag instead of writing them, then closes {@code out} if told to.
     * Bouncy Castle's two generators differ here: EnvelopedData expects the cipher stream to close the content
     * octet string (as its own {@code CipherOutputStream} does); AuthEnvelopedData closes it itself, and a second
     * close would end the octet string twice.
     */
    private static final class EncryptingStream extends OutputStream {
        private final Cipher cipher;
        private final OutputStream out;
        private final int tagLength;
        private final boolean closeTarget;
        private byte[] buffer = new byte[0];
        private byte[] tag;
        private boolean closed;

        EncryptingStream(Cipher cipher, OutputStream out, int tagLength, boolean closeTarget) {
            this.cipher = cipher;
            this.out = out;
            this.tagLength = tagLength;
            this.closeTarget = closeTarget;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("the content stream is closed");
            }
            if (len == 0) {
                return;
            }
            try {
                int n = cipher.update(b, off, len, room(cipher.getOutputSize(len)), 0);
                if (n > 0) {
                    out.write(buffer, 0, n);
                }
            } catch (ShortBufferException e) {
                throw new IOException("content encryption: " + e.getMessage(), e);
            }
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                int n = cipher.doFinal(room(cipher.getOutputSize(0)), 0);
                if (n < tagLength) {
                    throw new IOException("content encryption ended with " + n + " bytes, less than its tag");
                }
                if (n > tagLength) {
                    out.write(buffer, 0, n - tagLength);
                }
                tag = java.util.Arrays.copyOfRange(buffer, n - tagLength, n);
            } catch (GeneralSecurityException e) {
                throw new IOException("content encryption: " + e.getMessage(), e);
            }
            if (closeTarget) {
                out.close();
            }
        }

        private byte[] room(int size) {
            if (buffer.length < size) {
                buffer = new byte[Math.max(size, 2 * buffer.length)];
            }
            return buffer;
        }
    }
}
