package dev.veil.tests.bench;

import dev.veil.config.Action;
import dev.veil.config.ContentCipher;
import dev.veil.config.KeySettings;
import dev.veil.crypto.CmsEncryption;
import dev.veil.crypto.MasterKey;
import dev.veil.crypto.OpenPgpKeys;
import dev.veil.crypto.PgpMimeOpener;
import dev.veil.crypto.PgpMimeSealer;
import dev.veil.crypto.SealRequest;
import dev.veil.crypto.SmimeOpener;
import dev.veil.crypto.SmimeSealer;
import dev.veil.crypto.VeilKeys;
import dev.veil.tests.bench.CryptoFixture.CountingSink;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encryption and decryption of whole messages, S/MIME (AES-256-GCM and AES-256-CBC) and OpenPGP, at 5 KB, 50 KB and
 * 1 MB, next to raw JCE AES-256-GCM on the same bytes in the same run; and the per-message public-key work: RSA-3072
 * OAEP unwrap against X25519 key agreement. Run with {@code tests/bench/run-jmh.sh CryptoBenchmark}, which also prints
 * MB/s and the ratios against the crypto issue's targets ({@link CryptoBenchmarkMain}).
 *
 * <p>Before measuring, set-up runs SunJCE's AES modes some thousands of times on small inputs so that C2 has compiled
 * the paths that use the AES and GHASH intrinsics ({@link CryptoFixture#prewarmSunJceAes}); without it the 1 MB raw
 * GCM figure is the interpreter's (tens of MB/s, not GB/s) and the ratios mean nothing.
 *
 * <p>Message benchmarks are average time per message (µs/op); {@code size} is the message size in bytes. Every one
 * reads a {@link ByteArrayInputStream} over the message and writes into a {@link CountingSink} that discards, so the
 * figures are the sealer's or opener's own work. Keys: a temporary key store made once per fork (organisation
 * "Bench Ltd", RSA-3072 CA, one user certificate for {@code bob@bench.example}, no escrow so each message has exactly
 * one recipient; an OpenPGP key store with an Ed25519/X25519 user key).
 *
 * <ul>
 *   <li>{@code rawJceAesGcm} / {@code rawJceAesGcmDecrypt}: {@code AES/GCM/NoPadding} from SunJCE over the message
 *       bytes into a reused buffer, fresh IV per message (decrypt: one fixed ciphertext). The yardstick.
 *   <li>{@code rawBcAesGcmDecrypt}: the same decryption with Bouncy Castle's provider (what {@code SmimeOpener}
 *       used for GCM content before it streamed GCM through the JDK's AES, and still uses for nonces that are not
 *       12 bytes), to show the provider cost on its own.
 *   <li>{@code cmsSealGcmDer} / {@code cmsSealCbcDer}: the CMS structure only (DER/BER, no MIME, no base64), by
 *       Veil's own {@link CmsEncryption#open}, fed in 64 KiB writes as the sealer feeds it. The "CMS AES-GCM
 *       encryption (DER)" target.
 *   <li>{@code smimeSealGcm} / {@code smimeSealCbc}: {@link SmimeSealer#seal}, the full S/MIME message (outer
 *       header, base64 CMS). The "full S/MIME message" target.
 *   <li>{@code cmsOpenGcmDer} / {@code cmsOpenCbcDer}: {@link SmimeOpener#openCms} on the DER of a message sealed in
 *       set-up; {@code smimeOpenGcm} / {@code smimeOpenCbc}: {@link SmimeOpener#open} on the whole message. Both
 *       include the RSA-3072 private-key operation and unwrapping the key entry with the master key.
 *   <li>{@code pgpSeal} / {@code pgpOpen}: {@link PgpMimeSealer#seal} and {@link PgpMimeOpener#open}, PGP/MIME with
 *       ASCII armor, X25519 recipient key.
 *   <li>{@code rsaOaepUnwrap} (SunJCE), {@code rsaOaepUnwrapBc} (Bouncy Castle, the provider Veil's S/MIME opener
 *       uses for key transport), {@code rsaOaepWrap} (public-key side, per recipient when sealing) and
 *       {@code x25519Agreement} (SunEC: init, doPhase, generateSecret), {@code ecdhP256Agreement} (SunEC) and
 *       {@code ecdhP256AgreementBc} (Bouncy Castle; EC S/MIME recipients): operations per second.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 1)
public class CryptoBenchmark {
    static final String ORGANISATION = "Bench Ltd";
    static final String USER = "bob@bench.example";
    static final KeySettings SETTINGS = new KeySettings(false, "rsa-3072", true,
            List.of(Action.Format.SMIME, Action.Format.OPENPGP), "ed25519", "Bench Ltd Veil CA",
            KeySettings.DEFAULT_CA_VALIDITY, KeySettings.DEFAULT_ROTATION, Optional.empty(), Map.of());
    static final OAEPParameterSpec OAEP_SHA256 =
            new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
    static final String OAEP = "RSA/ECB/OAEPWithSHA-256AndMGF1Padding";

    /** The message of the size under test. */
    @State(Scope.Benchmark)
    public static class Payload {
        @Param({"5120", "51200", "1048576"})
        public int size;

        byte[] message;

        @Setup(Level.Trial)
        public void setUp() {
            message = CryptoFixture.message(size);
            CryptoFixture.prewarmSunJceAes();
        }
    }

    /** Raw JCE AES-256-GCM: key, reused output buffer, one ciphertext to decrypt. */
    @State(Scope.Benchmark)
    public static class Raw {
        final SecureRandom random = new SecureRandom();
        final byte[] iv = new byte[12];
        SecretKey key;
        Cipher sunJce;
        Cipher bc;
        byte[] output;
        byte[] ciphertext;
        byte[] fixedIv;

        @Setup(Level.Trial)
        public void setUp(Payload payload) throws GeneralSecurityException {
            byte[] k = new byte[32];
            random.nextBytes(k);
            key = new SecretKeySpec(k, "AES");
            sunJce = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
            bc = Cipher.getInstance("AES/GCM/NoPadding", bouncyCastle());
            output = new byte[payload.message.length + 16];
            fixedIv = new byte[12];
            random.nextBytes(fixedIv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, fixedIv));
            ciphertext = c.doFinal(payload.message);
            // both providers must read the ciphertext back to the message
            for (Cipher cipher : List.of(sunJce, bc)) {
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, fixedIv));
                int n = cipher.doFinal(ciphertext, 0, ciphertext.length, output, 0);
                if (!Arrays.equals(output, 0, n, payload.message, 0, payload.message.length)) {
                    throw new IllegalStateException(cipher.getProvider() + " GCM round trip differs");
                }
            }
        }
    }

    /** The S/MIME key store (CA and one user, RSA-3072), sealer and opener, and messages sealed for the open benchmarks. */
    @State(Scope.Benchmark)
    public static class Smime {
        Path dir;
        VeilKeys keys;
        X509Certificate user;
        SmimeSealer sealer;
        SmimeOpener opener;
        SealRequest gcm;
        SealRequest cbc;
        byte[] sealedGcm;
        byte[] sealedCbc;
        byte[] derGcm;
        byte[] derCbc;
        final CountingSink sink = new CountingSink();

        @Setup(Level.Trial)
        public void setUp(Payload payload) throws Exception {
            dir = Files.createTempDirectory("veil-bench-smime");
            keys = VeilKeys.open(dir.resolve("keys"), MasterKey.generate());
            keys.initialise(ORGANISATION, SETTINGS);
            user = keys.userCertificate(USER, SETTINGS);
            sealer = new SmimeSealer(keys, SETTINGS);
            opener = new SmimeOpener(keys);
            gcm = new SealRequest(List.of(USER), false, List.of(), ContentCipher.AES_256_GCM, "Encrypted message");
            cbc = new SealRequest(List.of(USER), false, List.of(), ContentCipher.AES_256_CBC, "Encrypted message");
            byte[] message = payload.message;
            sealedGcm = CryptoFixture.collect(out -> sealer.seal(new ByteArrayInputStream(message), out, gcm));
            sealedCbc = CryptoFixture.collect(out -> sealer.seal(new ByteArrayInputStream(message), out, cbc));
            derGcm = CryptoFixture.smimeDer(sealedGcm);
            derCbc = CryptoFixture.smimeDer(sealedCbc);
            check(message, CryptoFixture.collect(out -> opener.open(new ByteArrayInputStream(sealedGcm), out)), "S/MIME GCM");
            check(message, CryptoFixture.collect(out -> opener.open(new ByteArrayInputStream(sealedCbc), out)), "S/MIME CBC");
            // the DER-only seal must produce what Veil's opener reads
            byte[] der = CryptoFixture.collect(out -> cmsSeal(ContentCipher.AES_256_GCM, user, message, out));
            check(message, CryptoFixture.collect(out -> opener.openCms(new ByteArrayInputStream(der), out)), "CMS DER GCM");
            byte[] derC = CryptoFixture.collect(out -> cmsSeal(ContentCipher.AES_256_CBC, user, message, out));
            check(message, CryptoFixture.collect(out -> opener.openCms(new ByteArrayInputStream(derC), out)), "CMS DER CBC");
            System.out.printf("%n[setup] size %d: S/MIME GCM message %d bytes (DER %d), CBC %d bytes (DER %d)%n",
                    message.length, sealedGcm.length, derGcm.length, sealedCbc.length, derCbc.length);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            CryptoFixture.deleteTree(dir);
        }
    }

    /** The OpenPGP key store (Ed25519 with an X25519 subkey for one user), sealer, opener, and one sealed message. */
    @State(Scope.Benchmark)
    public static class Pgp {
        Path dir;
        OpenPgpKeys keys;
        PgpMimeSealer sealer;
        PgpMimeOpener opener;
        SealRequest request;
        byte[] sealed;
        final CountingSink sink = new CountingSink();

        @Setup(Level.Trial)
        public void setUp(Payload payload) throws Exception {
            dir = Files.createTempDirectory("veil-bench-pgp");
            keys = OpenPgpKeys.open(dir.resolve("keys"), MasterKey.generate());
            keys.initialise(ORGANISATION, SETTINGS);
            keys.userKey(USER, SETTINGS);
            sealer = new PgpMimeSealer(keys, SETTINGS);
            opener = new PgpMimeOpener(keys);
            request = new SealRequest(List.of(USER), false, List.of(), ContentCipher.AES_256_GCM, "Encrypted message");
            byte[] message = payload.message;
            sealed = CryptoFixture.collect(out -> sealer.seal(new ByteArrayInputStream(message), out, request));
            check(message, CryptoFixture.collect(out -> opener.open(new ByteArrayInputStream(sealed), out)), "PGP/MIME");
            System.out.printf("%n[setup] size %d: PGP/MIME message %d bytes%n", message.length, sealed.length);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            CryptoFixture.deleteTree(dir);
        }
    }

    /** RSA-3072 key pair and a wrapped 32-byte key; X25519 and P-256 key pairs. */
    @State(Scope.Benchmark)
    public static class PublicKeyOps {
        KeyPair rsa;
        byte[] contentKey;
        byte[] wrapped;
        Cipher unwrapSunJce;
        Cipher unwrapBc;
        Cipher wrap;
        KeyPair ours;
        KeyPair theirs;
        KeyAgreement agreement;
        KeyPair ecOurs;
        KeyPair ecTheirs;
        KeyAgreement ecdhSunEc;
        KeyAgreement ecdhBc;

        @Setup(Level.Trial)
        public void setUp() throws GeneralSecurityException {
            KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
            rsaGenerator.initialize(3072);
            rsa = rsaGenerator.generateKeyPair();
            contentKey = new byte[32];
            new SecureRandom().nextBytes(contentKey);
            wrap = Cipher.getInstance(OAEP, "SunJCE");
            wrap.init(Cipher.ENCRYPT_MODE, rsa.getPublic(), OAEP_SHA256);
            wrapped = wrap.doFinal(contentKey);
            unwrapSunJce = Cipher.getInstance(OAEP, "SunJCE");
            unwrapBc = Cipher.getInstance(OAEP, bouncyCastle());
            for (Cipher cipher : List.of(unwrapSunJce, unwrapBc)) {
                cipher.init(Cipher.DECRYPT_MODE, rsa.getPrivate(), OAEP_SHA256);
                if (!Arrays.equals(contentKey, cipher.doFinal(wrapped))) {
                    throw new IllegalStateException(cipher.getProvider() + " RSA-OAEP round trip differs");
                }
            }
            KeyPairGenerator x25519 = KeyPairGenerator.getInstance("X25519");
            ours = x25519.generateKeyPair();
            theirs = x25519.generateKeyPair();
            agreement = KeyAgreement.getInstance("X25519");
            if (!agreement.getProvider().getName().equals("SunEC")) {
                throw new IllegalStateException("X25519 from " + agreement.getProvider() + ", wanted the JDK's SunEC");
            }
            KeyPairGenerator p256 = KeyPairGenerator.getInstance("EC");
            p256.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
            ecOurs = p256.generateKeyPair();
            ecTheirs = p256.generateKeyPair();
            ecdhSunEc = KeyAgreement.getInstance("ECDH", "SunEC");
            ecdhBc = KeyAgreement.getInstance("ECDH", bouncyCastle());
        }
    }

    // ---- raw JCE AES-256-GCM: the yardstick ----

    @Benchmark
    public int rawJceAesGcm(Payload payload, Raw raw) throws GeneralSecurityException {
        raw.random.nextBytes(raw.iv);
        raw.sunJce.init(Cipher.ENCRYPT_MODE, raw.key, new GCMParameterSpec(128, raw.iv));
        return raw.sunJce.doFinal(payload.message, 0, payload.message.length, raw.output, 0);
    }

    @Benchmark
    public int rawJceAesGcmDecrypt(Raw raw) throws GeneralSecurityException {
        raw.sunJce.init(Cipher.DECRYPT_MODE, raw.key, new GCMParameterSpec(128, raw.fixedIv));
        return raw.sunJce.doFinal(raw.ciphertext, 0, raw.ciphertext.length, raw.output, 0);
    }

    @Benchmark
    public int rawBcAesGcmDecrypt(Raw raw) throws GeneralSecurityException {
        raw.bc.init(Cipher.DECRYPT_MODE, raw.key, new GCMParameterSpec(128, raw.fixedIv));
        return raw.bc.doFinal(raw.ciphertext, 0, raw.ciphertext.length, raw.output, 0);
    }

    // ---- S/MIME seal ----

    @Benchmark
    public long cmsSealGcmDer(Payload payload, Smime smime) throws Exception {
        cmsSeal(ContentCipher.AES_256_GCM, smime.user, payload.message, smime.sink);
        return smime.sink.reset();
    }

    @Benchmark
    public long cmsSealCbcDer(Payload payload, Smime smime) throws Exception {
        cmsSeal(ContentCipher.AES_256_CBC, smime.user, payload.message, smime.sink);
        return smime.sink.reset();
    }

    @Benchmark
    public long smimeSealGcm(Payload payload, Smime smime) throws Exception {
        smime.sealer.seal(new ByteArrayInputStream(payload.message), smime.sink, smime.gcm);
        return smime.sink.reset();
    }

    @Benchmark
    public long smimeSealCbc(Payload payload, Smime smime) throws Exception {
        smime.sealer.seal(new ByteArrayInputStream(payload.message), smime.sink, smime.cbc);
        return smime.sink.reset();
    }

    // ---- S/MIME open ----

    @Benchmark
    public long cmsOpenGcmDer(Smime smime) throws Exception {
        smime.opener.openCms(new ByteArrayInputStream(smime.derGcm), smime.sink);
        return smime.sink.reset();
    }

    @Benchmark
    public long cmsOpenCbcDer(Smime smime) throws Exception {
        smime.opener.openCms(new ByteArrayInputStream(smime.derCbc), smime.sink);
        return smime.sink.reset();
    }

    @Benchmark
    public long smimeOpenGcm(Smime smime) throws Exception {
        smime.opener.open(new ByteArrayInputStream(smime.sealedGcm), smime.sink);
        return smime.sink.reset();
    }

    @Benchmark
    public long smimeOpenCbc(Smime smime) throws Exception {
        smime.opener.open(new ByteArrayInputStream(smime.sealedCbc), smime.sink);
        return smime.sink.reset();
    }

    // ---- PGP/MIME ----

    @Benchmark
    public long pgpSeal(Payload payload, Pgp pgp) throws Exception {
        pgp.sealer.seal(new ByteArrayInputStream(payload.message), pgp.sink, pgp.request);
        return pgp.sink.reset();
    }

    @Benchmark
    public long pgpOpen(Pgp pgp) throws Exception {
        pgp.opener.open(new ByteArrayInputStream(pgp.sealed), pgp.sink);
        return pgp.sink.reset();
    }

    // ---- per-message public-key work ----

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] rsaOaepUnwrap(PublicKeyOps ops) throws GeneralSecurityException {
        ops.unwrapSunJce.init(Cipher.DECRYPT_MODE, ops.rsa.getPrivate(), OAEP_SHA256);
        return ops.unwrapSunJce.doFinal(ops.wrapped);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] rsaOaepUnwrapBc(PublicKeyOps ops) throws GeneralSecurityException {
        ops.unwrapBc.init(Cipher.DECRYPT_MODE, ops.rsa.getPrivate(), OAEP_SHA256);
        return ops.unwrapBc.doFinal(ops.wrapped);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] rsaOaepWrap(PublicKeyOps ops) throws GeneralSecurityException {
        ops.wrap.init(Cipher.ENCRYPT_MODE, ops.rsa.getPublic(), OAEP_SHA256);
        return ops.wrap.doFinal(ops.contentKey);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] x25519Agreement(PublicKeyOps ops) throws GeneralSecurityException {
        ops.agreement.init(ops.ours.getPrivate());
        ops.agreement.doPhase(ops.theirs.getPublic(), true);
        return ops.agreement.generateSecret();
    }

    /** P-256 ECDH with the JDK's SunEC: the private-key operation of opening S/MIME sent to an EC certificate. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] ecdhP256Agreement(PublicKeyOps ops) throws GeneralSecurityException {
        ops.ecdhSunEc.init(ops.ecOurs.getPrivate());
        ops.ecdhSunEc.doPhase(ops.ecTheirs.getPublic(), true);
        return ops.ecdhSunEc.generateSecret();
    }

    /** The same with Bouncy Castle, the provider Veil's S/MIME opener uses for key agreement. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] ecdhP256AgreementBc(PublicKeyOps ops) throws GeneralSecurityException {
        ops.ecdhBc.init(ops.ecOurs.getPrivate());
        ops.ecdhBc.doPhase(ops.ecTheirs.getPublic(), true);
        return ops.ecdhBc.generateSecret();
    }

    // ---- helpers ----

    /**
     * The CMS structure alone, as Veil's {@link CmsEncryption#open} builds it: AuthEnvelopedData with
     * AES-256-GCM or EnvelopedData with AES-256-CBC, SunJCE for the content, Bouncy Castle for RSA-OAEP (SHA-256,
     * MGF1-SHA-256) key transport, 64 KiB BER chunks, recipient by issuer and serial number.
     */
    static final int CHUNK = 64 * 1024;

    static void cmsSeal(ContentCipher cipher, X509Certificate recipient, byte[] message, OutputStream der) throws Exception {
        OutputStream plaintext = CmsEncryption.open(cipher, List.of(recipient), der);
        // in 64 KiB writes, as SmimeSealer's buffered CRLF stream feeds it: one 1 MB write would make Bouncy Castle's
        // cipher stream allocate a 1 MB output array per message (humongous in G1, and bimodal timings)
        for (int at = 0; at < message.length; at += CHUNK) {
            plaintext.write(message, at, Math.min(CHUNK, message.length - at));
        }
        plaintext.close();
    }

    static synchronized Provider bouncyCastle() {
        Provider existing = Security.getProvider(BouncyCastleProvider.PROVIDER_NAME);
        if (existing != null) {
            return existing;
        }
        Provider bc = new BouncyCastleProvider();
        Security.addProvider(bc);
        return bc;
    }

    static void check(byte[] expected, byte[] actual, String what) {
        if (!Arrays.equals(expected, actual)) {
            throw new IllegalStateException(what + " round trip differs: " + expected.length + " bytes in, "
                    + actual.length + " out");
        }
    }
}
