package dev.veil.gateway.auth;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.Headers;
import org.apache.james.jdkim.api.PublicKeyRecord;
import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.apache.james.jdkim.exceptions.TempFailException;
import org.apache.james.jdkim.impl.BodyHasherImpl;
import org.apache.james.jdkim.tagvalue.PublicKeyRecordImpl;
import org.apache.james.jdkim.tagvalue.SignatureRecordImpl;

/**
 * jDKIM's verifier with two repairs.
 *
 * <p>Ed25519: jDKIM 0.3 parses ed25519-sha256 signatures (RFC 8463, which verifiers must implement), checks their tags,
 * times and key record and can hash their body, but then asks the JDK for a signature algorithm named
 * "SHA256withED25519", which does not exist, and reads the key record's {@code p=} as an X.509 key, which an Ed25519
 * record is not: RFC 8463 section 4 publishes the raw 32 bytes. So for this algorithm the signature check is done
 * here, with jDKIM's own header canonicalisation: Ed25519 (PureEdDSA) over the SHA-256 of the header hash input
 * (section 3). RSA signatures stay entirely jDKIM's.
 *
 * <p>Clocks: jDKIM fails every signature whose {@code t=} is later than this machine's clock, by even a second. A
 * sender whose clock runs a little ahead would then fail DKIM, and with it DMARC, on mail that arrives at once. Up to
 * {@link #CLOCK_DRIFT_SECONDS} ahead is taken as now (OpenDKIM's default ClockDrift is the same 300 s); RFC 6376 3.5
 * lets verifiers ignore signatures from the future, not require it.
 */
final class DkimVerifier extends DKIMVerifier {
    static final String ALGORITHM = "ed25519-sha256";
    static final long CLOCK_DRIFT_SECONDS = 300;
    /** The DER SubjectPublicKeyInfo of an Ed25519 key (RFC 8410) up to the key's 32 bytes. */
    private static final byte[] SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    DkimVerifier(PublicKeyRecordRetriever keys) {
        super(keys);
    }

    static boolean isEd25519(String algorithmTag) {
        return ALGORITHM.equalsIgnoreCase(algorithmTag.strip());
    }

    @Override
    protected BodyHasherImpl newBodyHasher(SignatureRecord signature) throws PermFailException {
        return "relaxed".equalsIgnoreCase(signature.getBodyCanonicalisationMethod())
                ? new RelaxedBodyHasher(signature) : super.newBodyHasher(signature);
    }

    /**
     * jDKIM's hasher for {@code c=.../relaxed}, except for a body that relaxed canonicalisation empties (nothing but
     * white space and line ends): RFC 6376 3.4.4 (erratum 1384) hashes that as no bytes at all, jDKIM as one CRLF,
     * so a correct signature of an empty body failed (a black-box probe's, signed by python3-dkim; with DMARC p=reject
     * that quarantined genuine mail).
     */
    static final class RelaxedBodyHasher extends BodyHasherImpl {
        private final SignatureRecord signature;
        private OutputStream watched;
        private boolean content;

        RelaxedBodyHasher(SignatureRecord signature) throws PermFailException {
            super(signature);
            this.signature = signature;
        }

        @Override
        public synchronized OutputStream getOutputStream() {
            if (watched == null) {
                OutputStream canonical = super.getOutputStream();
                watched = new java.io.FilterOutputStream(canonical) {
                    @Override
                    public void write(int b) throws IOException {
                        content |= staysInRelaxedBody(b);
                        canonical.write(b);
                    }

                    @Override
                    public void write(byte[] bytes, int offset, int length) throws IOException {
                        for (int i = offset; i < offset + length && !content; i++) {
                            content = staysInRelaxedBody(bytes[i]);
                        }
                        canonical.write(bytes, offset, length);
                    }
                };
            }
            return watched;
        }

        /** A byte relaxed canonicalisation keeps however it ends: anything but white space and line ends. */
        private static boolean staysInRelaxedBody(int b) {
            return b != ' ' && b != '\t' && b != '\r' && b != '\n';
        }

        @Override
        public byte[] getDigest() {
            byte[] jdkim = super.getDigest();
            if (content) {
                return jdkim;
            }
            try {
                return MessageDigest.getInstance(signature.getHashAlgo().toString()).digest();
            } catch (java.security.NoSuchAlgorithmException e) {
                return jdkim; // jDKIM's constructor checked the algorithm already
            }
        }
    }

    @Override
    protected PublicKeyRecord newPublicKeyRecord(String record) {
        return new KeyRecord(record);
    }

    @Override
    public SignatureRecord newSignatureRecord(String record) {
        return new DriftTolerantRecord(record);
    }

    /** A signature record whose {@code t=} a little ahead of this machine's clock reads as now. */
    static final class DriftTolerantRecord extends SignatureRecordImpl {
        DriftTolerantRecord(String record) {
            super(record);
        }

        @Override
        public Long getSignatureTimestamp() {
            Long timestamp = super.getSignatureTimestamp();
            long now = System.currentTimeMillis() / 1000;
            // t= is optional (RFC 6376 3.5; Exim leaves it out): a plain "? now : timestamp" would unbox a null
            // timestamp, and every such signature failed with a NullPointerException
            if (timestamp != null && timestamp > now && timestamp - now <= CLOCK_DRIFT_SECONDS) {
                return now;
            }
            return timestamp;
        }
    }

    /**
     * Checks one ed25519-sha256 signature ({@code field}: the whole DKIM-Signature field, as jDKIM's {@link Headers}
     * give it) as jDKIM's {@code newBodyHasher} and {@code verify} check an RSA one, in the same order: the record's
     * tags and times, the key record (jDKIM's lookup and applicability rules), the header signature, then the body
     * hash. Throws a {@link PermFailException} (or {@link TempFailException}) for a signature that does not verify,
     * with jDKIM's messages where the header signature or the body hash does not match (see
     * {@link DkimChecker#didNotMatch}).
     */
    void verifyEd25519(String field, Headers headers, DkimChecker.BodySource body) throws FailException, IOException {
        SignatureRecord signature;
        try {
            signature = newSignatureRecord(field.substring(field.indexOf(':') + 1));
            signature.validate();
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new PermFailException("Invalid signature record: " + e.getMessage(), e);
        }
        Long timestamp = signature.getSignatureTimestamp(); // drift already allowed for
        long now = System.currentTimeMillis() / 1000;
        if (timestamp != null && timestamp > now) {
            throw new PermFailException("Signature date is " + (timestamp - now) + " seconds in the future.");
        }
        PublicKeyRecord key = publicRecordLookup(signature);
        PublicKey publicKey;
        try {
            publicKey = key.getPublicKey();
        } catch (IllegalStateException e) {
            throw new PermFailException("Invalid Public Key: " + e.getMessage(), e);
        }
        PrehashedEd25519 check = new PrehashedEd25519();
        try {
            check.initVerify(publicKey);
        } catch (InvalidKeyException e) { // an RSA key under an Ed25519 signature's selector
            throw new PermFailException("the key is not an Ed25519 key: " + e.getMessage(), e);
        }
        try {
            signatureCheck(headers, signature, signature.getHeaders(), check);
            if (!check.verify(signature.getSignature())) {
                throw new PermFailException("Header signature does not verify");
            }
        } catch (SignatureException e) {
            throw new PermFailException(e.getMessage(), e);
        }
        BodyHasherImpl hasher = newBodyHasher(signature);
        try (InputStream in = body.open()) {
            in.transferTo(hasher.getOutputStream());
        } finally {
            hasher.getOutputStream().close();
        }
        if (!MessageDigest.isEqual(hasher.getDigest(), signature.getBodyHash())) {
            throw new PermFailException("Computed bodyhash is different from the expected one");
        }
    }

    /**
     * A key record whose {@code k=ed25519} key is the raw 32 bytes of RFC 8463 section 4, and which is refused when
     * its {@code s=} names services without email (RFC 6376 3.6.1: verifiers must ignore such a key; jDKIM does not).
     */
    static final class KeyRecord extends PublicKeyRecordImpl {
        KeyRecord(String record) {
            super(record);
        }

        @Override
        public void validate() {
            super.validate();
            CharSequence services = getValue("s");
            if (services != null && Arrays.stream(services.toString().split(":"))
                    .map(service -> service.strip().toLowerCase(Locale.ROOT))
                    .noneMatch(service -> service.equals("email") || service.equals("*"))) {
                throw new IllegalStateException("the key is not for email (s=" + services + ")");
            }
        }

        @Override
        public PublicKey getPublicKey() {
            CharSequence type = getValue("k");
            if (type == null || !"ed25519".equals(type.toString().strip().toLowerCase(Locale.ROOT))) {
                return super.getPublicKey();
            }
            byte[] raw;
            try {
                raw = Base64.getDecoder().decode(getValue("p").toString().replaceAll("\\s", ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("the key is not base64: " + e.getMessage());
            }
            if (raw.length != 32) {
                throw new IllegalStateException("an Ed25519 key is 32 bytes, this one " + raw.length);
            }
            byte[] spki = new byte[SPKI_PREFIX.length + raw.length];
            System.arraycopy(SPKI_PREFIX, 0, spki, 0, SPKI_PREFIX.length);
            System.arraycopy(raw, 0, spki, SPKI_PREFIX.length, raw.length);
            try {
                return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("not an Ed25519 key: " + e.getMessage());
            }
        }
    }

    /**
     * What jDKIM feeds a signature (the canonical header fields and the signature field without b=) goes into SHA-256;
     * the check is the JDK's Ed25519 over that hash. Not a registered provider: only this verifier uses it.
     */
    static final class PrehashedEd25519 extends Signature {
        private final MessageDigest sha256;
        private PublicKey key;

        PrehashedEd25519() {
            super(ALGORITHM);
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("SHA-256 is not available in this JDK", e);
            }
        }

        @Override
        protected void engineInitVerify(PublicKey publicKey) {
            this.key = publicKey;
            sha256.reset();
        }

        @Override
        protected void engineUpdate(byte b) {
            sha256.update(b);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) {
            sha256.update(b, off, len);
        }

        @Override
        protected boolean engineVerify(byte[] signature) throws SignatureException {
            try {
                Signature ed25519 = Signature.getInstance("Ed25519");
                ed25519.initVerify(key);
                ed25519.update(sha256.digest());
                return ed25519.verify(signature);
            } catch (InvalidKeyException e) {
                throw new SignatureException("not an Ed25519 key: " + e.getMessage(), e);
            } catch (GeneralSecurityException e) {
                throw new SignatureException(e.getMessage(), e);
            }
        }

        @Override
        protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
            throw new InvalidKeyException("verification only");
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            throw new SignatureException("verification only");
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {
            throw new UnsupportedOperationException();
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            throw new UnsupportedOperationException();
        }
    }
}
