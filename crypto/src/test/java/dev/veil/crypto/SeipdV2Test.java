package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.config.ContentCipher;
import dev.veil.crypto.ExternalKey.Format;
import dev.veil.crypto.ImportedKey.Status;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import org.bouncycastle.bcpg.AEADAlgorithmTags;
import org.bouncycastle.bcpg.BCPGInputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.Packet;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyEncSessionPacket;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.SymmetricEncIntegrityPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.Features;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.api.OpenPGPApi;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.jcajce.JcaOpenPGPApi;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPKeyPair;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 9580 recipients: v6 keys (made with Bouncy Castle's own key generator, as a partner's software would) are
 * imported and get SEIPD v2 behind v6 PKESKs, checked by parsing the packets and by decrypting with Bouncy Castle's
 * low-level API, not Veil's opener; v4 keys get v2 only when they advertise it; a v6 key and a v1-only key in one
 * message are refused; a damaged v2 message releases nothing.
 */
class SeipdV2Test {
    static final String BOB = "bob.v6@partner.example";
    static final String DAVE = "dave.v4v2@partner.example";
    static final String ERIN = "erin.gnupg-aead@partner.example";
    static final String ALICE = "alice.seipd@example.com";
    static final String MESSAGE = String.join("\r\n",
            "From: Bob <bob@example.net>",
            "To: " + BOB,
            "Subject: Quarterly numbers (confidential)",
            "Message-ID: <v2@example.net>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Revenue is up.",
            "");

    static SharedOpenPgpKeys store;
    static OpenPGPApi api;
    static OpenPGPKey bob;

    @TempDir
    Path work;
    ExternalKeys external;
    PgpMimeSealer sealer;
    PgpMimeOpener opener;

    @BeforeAll
    static void keys() throws Exception {
        store = SharedOpenPgpKeys.get();
        store.keys.userKey(ALICE, SharedOpenPgpKeys.ISSUING);
        api = new JcaOpenPGPApi(Providers.BC);
        bob = api.generateKey().ed25519x25519Key("Bob V6 <" + BOB + ">").build();
    }

    @BeforeEach
    void store() throws Exception {
        external = ExternalKeys.open(work.resolve("keys"));
        sealer = new PgpMimeSealer(store.keys, external, SharedOpenPgpKeys.NOT_ISSUING);
        opener = new PgpMimeOpener(store.keys);
    }

    @Test
    void importsAV6KeyAndShowsItsVersion() throws Exception {
        List<ImportedKey> imported = importKey(bob.toCertificate().getPGPPublicKeyRing());

        PGPPublicKey primary = bob.getPrimaryKey().getPGPPublicKey();
        String fingerprint = OpenPgpKeyMaterial.fingerprint(primary);
        assertThat(imported).singleElement().satisfies(k -> {
            assertThat(k.status()).isEqualTo(Status.IMPORTED);
            assertThat(k.addresses()).containsExactly(BOB);
            assertThat(k.fingerprint()).hasSize(64).isEqualTo(fingerprint);
            // Bouncy Castle's generator puts a 5-year expiry on the direct-key signature, where v6 keys keep it
            assertThat(k.notAfter()).isEqualTo(primary.getCreationTime().toInstant().plusSeconds(primary
                    .getSignaturesOfType(PGPSignature.DIRECT_KEY).next().getHashedSubPackets().getKeyExpirationTime()));
            assertThat(k.notAfter()).isAfter(java.time.Instant.now().plusSeconds(4L * 365 * 24 * 3600));
        });
        assertThat(external.show(BOB)).singleElement().satisfies(k -> {
            assertThat(k.version()).isEqualTo(6);
            assertThat(k.algorithm()).isEqualTo("Ed25519 256 primary, X25519 256 encryption subkey");
            assertThat(k.encryptionKey()).hasSize(64);
        });
        assertThat(external.keyInfos()).extracting(VeilKeys.KeyInfo::kind).containsExactly("external-openpgp-v6");
        assertThat(Files.readString(work.resolve("keys/external/openpgp/" + BOB + "-" + fingerprint + ".asc")))
                .doesNotContainPattern("(?m)^=[A-Za-z0-9+/]{4}$"); // RFC 9580: no CRC-24 in a v6 key's armor
        // the stored file is read back (a fresh store has no cache)
        assertThat(ExternalKeys.open(work.resolve("keys")).openPgpKey(BOB)).isPresent();
    }

    @Test
    void sealsSeipdV2ForAV6KeyThatBouncyCastleDecryptsAndVeilOpensWithTheEscrow() throws Exception {
        importKey(bob.toCertificate().getPGPPublicKeyRing());

        byte[] sealed = seal(BOB);

        Packets packets = packets(sealed);
        assertThat(packets.pkeskVersions()).containsExactly(6, 6); // Bob's and the escrow key
        assertThat(packets.seipdVersion()).isEqualTo(2);
        assertThat(packets.cipher()).isEqualTo(SymmetricKeyAlgorithmTags.AES_256);
        assertThat(packets.aead()).isEqualTo(AEADAlgorithmTags.OCB);
        assertThat(packets.chunkSize()).isEqualTo(12); // 2^(12+6) = 256 KiB
        assertThat(PgpMimeSealerTest.armored(sealed)).doesNotContainPattern("(?m)^=[A-Za-z0-9+/]{4}$");
        // the skip-encrypted step takes it for encrypted mail, as it does v1
        assertThat(EncryptedContentCheck.isVerifiablyEncrypted(new ByteArrayInputStream(sealed))).isTrue();
        assertThat(bcDecrypt(sealed, bob.getPGPSecretKeyRing()))
                .isEqualTo(PgpMimeSealerTest.crlf(MESSAGE.getBytes(StandardCharsets.UTF_8)));

        ByteArrayOutputStream opened = new ByteArrayOutputStream();
        OpenReport report = opener.open(new ByteArrayInputStream(sealed), opened);
        assertThat(opened.toString(StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        assertThat(report.keyFingerprint()).isEqualTo(encryptionFingerprint(store.keys.escrowKey()));
        assertThat(report.contentAlgorithm()).isEqualTo("AES-256-OCB");
    }

    @Test
    void sealsV2ForEd448AndRsaV6Keys() throws Exception {
        String carol = "carol.ed448@partner.example";
        String frank = "frank.rsa@partner.example";
        OpenPGPKey ed448 = api.generateKey().ed448x448Key("Carol <" + carol + ">").build();
        OpenPGPKey rsa = api.generateKey().compositeRSAKey(3072, "Frank <" + frank + ">").build();
        assertThat(rsa.getPrimaryKey().getPGPPublicKey().getVersion()).isEqualTo(6);
        importKey(ed448.toCertificate().getPGPPublicKeyRing());
        importKey(rsa.toCertificate().getPGPPublicKeyRing());

        byte[] sealed = seal(carol, frank);

        Packets packets = packets(sealed);
        assertThat(packets.pkeskVersions()).containsExactly(6, 6, 6);
        assertThat(packets.seipdVersion()).isEqualTo(2);
        byte[] expected = PgpMimeSealerTest.crlf(MESSAGE.getBytes(StandardCharsets.UTF_8));
        assertThat(bcDecrypt(sealed, ed448.getPGPSecretKeyRing())).isEqualTo(expected);
        assertThat(bcDecrypt(sealed, rsa.getPGPSecretKeyRing())).isEqualTo(expected);
        assertThat(external.show(carol)).singleElement().extracting(ExternalKey::algorithm)
                .isEqualTo("Ed448 456 primary, X448 448 encryption subkey");
    }

    @Test
    void aV4KeyAdvertisingSeipdV2GetsV2AndOneWithGnuPgsAeadFlagGetsV1ThatGpgReads() throws Exception {
        PGPSecretKeyRing dave = v4Key("Dave <" + DAVE + ">", (byte) (Features.FEATURE_MODIFICATION_DETECTION | Features.FEATURE_SEIPD_V2));
        // 0x02 is what GnuPG 2.3+ advertises: LibrePGP's OCB packet, not SEIPD v2
        PGPSecretKeyRing erin = v4Key("Erin <" + ERIN + ">",
                (byte) (Features.FEATURE_MODIFICATION_DETECTION | Features.FEATURE_AEAD_ENCRYPTED_DATA));
        importKey(OpenPgpKeyMaterial.publicRing(dave));
        importKey(OpenPgpKeyMaterial.publicRing(erin));
        assertThat(SeipdSupport.of(OpenPgpKeyMaterial.publicRing(dave))).isEqualTo(SeipdSupport.V1_AND_V2);
        assertThat(SeipdSupport.of(OpenPgpKeyMaterial.publicRing(erin))).isEqualTo(SeipdSupport.V1_ONLY);

        byte[] toDave = seal(DAVE);
        byte[] toErin = seal(ERIN);

        assertThat(packets(toDave).pkeskVersions()).containsExactly(6, 6);
        assertThat(packets(toDave).seipdVersion()).isEqualTo(2);
        assertThat(bcDecrypt(toDave, dave)).isEqualTo(PgpMimeSealerTest.crlf(MESSAGE.getBytes(StandardCharsets.UTF_8)));
        assertThat(packets(toErin).pkeskVersions()).containsExactly(3, 3);
        assertThat(packets(toErin).seipdVersion()).isEqualTo(1);
        assertThat(PgpMimeSealerTest.armored(toErin)).containsPattern("(?m)^=[A-Za-z0-9+/]{4}$");
        try (Gpg gpg = new Gpg(work.resolve("gpg-home"))) {
            Files.writeString(work.resolve("erin-secret.asc"), ArmorOutputStream.armor(erin.getEncoded(), "PGP PRIVATE KEY BLOCK"));
            gpg.run(work, "--import", "erin-secret.asc");
            Files.writeString(work.resolve("part2.asc"), PgpMimeSealerTest.armored(toErin), StandardCharsets.US_ASCII);
            assertThat(new String(gpg.run(work, "--decrypt", "part2.asc"), StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        }
    }

    @Test
    void refusesOneMessageToAV6KeyAndAKeyThatReadsOnlyV1() throws Exception {
        importKey(bob.toCertificate().getPGPPublicKeyRing());
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertThatThrownBy(() -> sealer.seal(in(MESSAGE), out, request(BOB, ALICE)))
                .isInstanceOf(KeyException.class)
                .hasMessageContaining(BOB).hasMessageContaining(ALICE).hasMessageContaining("separate messages");
        assertThat(out.size()).isZero();
    }

    @Test
    void mixesAV6KeyAndAV4KeyAdvertisingV2InOneV2MessageBothRead() throws Exception {
        PGPSecretKeyRing dave = v4Key("Dave <" + DAVE + ">", (byte) (Features.FEATURE_MODIFICATION_DETECTION | Features.FEATURE_SEIPD_V2));
        importKey(bob.toCertificate().getPGPPublicKeyRing());
        importKey(OpenPgpKeyMaterial.publicRing(dave));

        byte[] sealed = seal(BOB, DAVE);

        assertThat(packets(sealed).pkeskVersions()).containsExactly(6, 6, 6);
        assertThat(packets(sealed).seipdVersion()).isEqualTo(2);
        byte[] expected = PgpMimeSealerTest.crlf(MESSAGE.getBytes(StandardCharsets.UTF_8));
        assertThat(bcDecrypt(sealed, bob.getPGPSecretKeyRing())).isEqualTo(expected);
        assertThat(bcDecrypt(sealed, dave)).isEqualTo(expected);
    }

    @Test
    void aV4KeyAdvertisingV2AndAV1OnlyKeyShareAV1Message() throws Exception {
        PGPSecretKeyRing dave = v4Key("Dave <" + DAVE + ">", (byte) (Features.FEATURE_MODIFICATION_DETECTION | Features.FEATURE_SEIPD_V2));
        importKey(OpenPgpKeyMaterial.publicRing(dave));

        byte[] sealed = seal(DAVE, ALICE);

        assertThat(packets(sealed).pkeskVersions()).containsExactly(3, 3, 3);
        assertThat(packets(sealed).seipdVersion()).isEqualTo(1);
        assertThat(bcDecrypt(sealed, dave)).isEqualTo(PgpMimeSealerTest.crlf(MESSAGE.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void refusesAnAlteredOrTruncatedV2MessageWithoutReleasingPlaintext() throws Exception {
        importKey(bob.toCertificate().getPGPPublicKeyRing());
        byte[] binary = binary(seal(BOB));
        assertThat(binary.length).isLessThan(1 << 18); // one chunk: nothing may come out before its tag verified

        byte[] altered = binary.clone();
        altered[altered.length - 40] ^= 0x01; // in the chunk's ciphertext or its tag
        byte[] truncated = Arrays.copyOf(binary, binary.length - 16); // the final tag cut off

        for (byte[] damaged : List.of(altered, truncated)) {
            ByteArrayOutputStream opened = new ByteArrayOutputStream();
            assertThatThrownBy(() -> opener.openMessage(new ByteArrayInputStream(damaged), opened))
                    .isInstanceOf(IOException.class).hasMessageContaining("altered or damaged");
            assertThat(opened.size()).isZero();
        }
    }

    @Test
    void refusesLibrePgpsOcbPacketByName() throws Exception {
        // what GnuPG 2.3+ writes to keys advertising 0x02: a v5-style AEAD packet (tag 20), not RFC 9580
        PGPPublicKey alice = OpenPgpKeyMaterial.encryptionKey(store.keys.userKey(ALICE, SharedOpenPgpKeys.NOT_ISSUING), ALICE);
        org.bouncycastle.openpgp.PGPEncryptedDataGenerator generator = new org.bouncycastle.openpgp.PGPEncryptedDataGenerator(
                new org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                        .setWithAEAD(AEADAlgorithmTags.OCB, 18).setUseV5AEAD());
        generator.addMethod(new org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator(alice));
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        try (java.io.OutputStream encrypted = generator.open(message, new byte[4096])) {
            org.bouncycastle.openpgp.PGPLiteralDataGenerator literal = new org.bouncycastle.openpgp.PGPLiteralDataGenerator();
            try (java.io.OutputStream out = literal.open(encrypted, PGPLiteralData.BINARY, "", new Date(), new byte[4096])) {
                out.write(MESSAGE.getBytes(StandardCharsets.UTF_8));
            }
        }
        ByteArrayOutputStream opened = new ByteArrayOutputStream();

        assertThatThrownBy(() -> opener.openMessage(new ByteArrayInputStream(message.toByteArray()), opened))
                .isInstanceOf(IOException.class).hasMessageContaining("LibrePGP's OCB packet");
        assertThat(opened.size()).isZero();
    }

    @Test
    void refusesV6KeysThatAreExpiredRevokedOrLackTheirDirectKeySignature() throws Exception {
        Date sixYearsAgo = new Date(System.currentTimeMillis() - 6L * 365 * 24 * 3600 * 1000);
        OpenPGPKey expired = api.generateKey(sixYearsAgo).ed25519x25519Key("Old <old.v6@partner.example>").build();
        OpenPGPKey revoked = api.editKey(api.generateKey().ed25519x25519Key("Gone <gone.v6@partner.example>").build())
                .revokeKey().done();
        PGPPublicKeyRing ring = bob.toCertificate().getPGPPublicKeyRing();
        PGPPublicKey primary = ring.getPublicKey();
        PGPSignature directKey = primary.getSignaturesOfType(PGPSignature.DIRECT_KEY).next();
        PGPPublicKeyRing withoutDirectKey = PGPPublicKeyRing.insertPublicKey(ring, PGPPublicKey.removeCertification(primary, directKey));

        assertThat(importKey(expired.toCertificate().getPGPPublicKeyRing())).singleElement()
                .satisfies(k -> assertThat(k.reason()).contains("revoked or expired"));
        assertThat(importKey(revoked.toCertificate().getPGPPublicKeyRing())).singleElement()
                .satisfies(k -> assertThat(k.reason()).contains("revoked or expired"));
        assertThat(importKey(withoutDirectKey)).singleElement()
                .satisfies(k -> assertThat(k.reason()).contains("no valid direct-key self-signature"));
        assertThat(external.list()).isEmpty();
    }

    @Test
    void refusesAV6KeyWhoseUserIdDoesNotCarryAnAddress() throws Exception {
        OpenPGPKey anonymous = api.generateKey().ed25519x25519Key("Nobody in particular").build();

        assertThat(importKey(anonymous.toCertificate().getPGPPublicKeyRing())).singleElement().satisfies(k -> {
            assertThat(k.status()).isEqualTo(Status.REFUSED);
            assertThat(k.reason()).contains("no user id with an email address");
        });
        assertThat(external.find("nobody@partner.example", Format.OPENPGP)).isEmpty();
    }

    @Test
    void sealsAndOpensA30MegabyteV2MessageStreamingAcrossChunks() throws Exception {
        importKey(bob.toCertificate().getPGPPublicKeyRing());
        long size = 30L * 1024 * 1024;
        Path sealedFile = work.resolve("large.eml");

        long started = System.nanoTime();
        try (java.io.OutputStream out = Files.newOutputStream(sealedFile)) {
            sealer.seal(GeneratedLines.of(size), out, request(BOB));
        }
        long sealed = System.nanoTime() - started;
        started = System.nanoTime();
        long[] count = {0};
        java.io.OutputStream counting = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                count[0]++;
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                count[0] += length;
            }
        };
        try (InputStream in = Files.newInputStream(sealedFile)) {
            assertThat(opener.open(in, counting).contentAlgorithm()).isEqualTo("AES-256-OCB");
        }
        long opened = System.nanoTime() - started;

        assertThat(count[0]).isEqualTo(size + size / 100 + 2); // LF became CRLF every 100 bytes; a final CRLF added
        System.out.printf("PGP/MIME SEIPD v2 30 MiB: seal %.0f MB/s, open %.0f MB/s%n",
                size / 1e6 / (sealed / 1e9), size / 1e6 / (opened / 1e9));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------


    private List<ImportedKey> importKey(PGPPublicKeyRing ring) throws Exception {
        return external.importBytes(ArmorOutputStream.armor(ring.getEncoded(), "PGP PUBLIC KEY BLOCK")
                .getBytes(StandardCharsets.US_ASCII), "key.asc");
    }

    private byte[] seal(String... recipients) throws Exception {
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();
        sealer.seal(in(MESSAGE), sealed, request(recipients));
        return sealed.toByteArray();
    }

    private static SealRequest request(String... recipients) {
        return new SealRequest(List.of(recipients), true, List.of(), ContentCipher.AES_256_GCM, "[encrypted]");
    }

    private static InputStream in(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String encryptionFingerprint(PGPPublicKeyRing ring) throws KeyException {
        return OpenPgpKeyMaterial.fingerprint(OpenPgpKeyMaterial.encryptionKey(ring, "test"));
    }

    /** The binary OpenPGP message of a PGP/MIME message. */
    static byte[] binary(byte[] sealed) throws IOException {
        String armored = PgpMimeSealerTest.armored(sealed);
        return new ArmorInputStream(new ByteArrayInputStream(armored.getBytes(StandardCharsets.US_ASCII))).readAllBytes();
    }

    record Packets(List<Integer> pkeskVersions, int seipdVersion, int cipher, int aead, int chunkSize) {
    }

    /** The session key packets' versions and the encrypted data packet's header, as written. */
    static Packets packets(byte[] sealed) throws IOException {
        List<Integer> pkesks = new ArrayList<>();
        try (BCPGInputStream in = new BCPGInputStream(new ByteArrayInputStream(binary(sealed)))) {
            Packet packet;
            while ((packet = in.readPacket()) != null) {
                if (packet instanceof PublicKeyEncSessionPacket pkesk) {
                    pkesks.add(pkesk.getVersion());
                } else if (packet instanceof SymmetricEncIntegrityPacket seipd) {
                    return new Packets(pkesks, seipd.getVersion(), seipd.getCipherAlgorithm(), seipd.getAeadAlgorithm(),
                            seipd.getChunkSize());
                } else {
                    throw new AssertionError("unexpected packet " + packet.getClass().getSimpleName());
                }
            }
        }
        throw new AssertionError("no SEIPD packet");
    }

    /** Decrypts with Bouncy Castle's low-level API and lightweight operators, independently of {@link PgpMimeOpener}. */
    static byte[] bcDecrypt(byte[] sealed, PGPSecretKeyRing secret) throws Exception {
        PGPObjectFactory objects = new PGPObjectFactory(binary(sealed), new BcKeyFingerprintCalculator());
        PGPEncryptedDataList list = (PGPEncryptedDataList) objects.nextObject();
        for (PGPEncryptedData data : list) {
            PGPPublicKeyEncryptedData encrypted = (PGPPublicKeyEncryptedData) data;
            PGPSecretKey key = secret.getSecretKey(encrypted.getKeyIdentifier());
            if (key == null) {
                continue;
            }
            InputStream clear = encrypted.getDataStream(new BcPublicKeyDataDecryptorFactory(key.extractPrivateKey(null)));
            PGPLiteralData literal = (PGPLiteralData) new PGPObjectFactory(clear, new BcKeyFingerprintCalculator()).nextObject();
            byte[] plaintext = literal.getInputStream().readAllBytes();
            clear.readAllBytes();
            assertThat(encrypted.verify()).as("integrity check").isTrue();
            return plaintext;
        }
        throw new AssertionError("the message has no session key packet for " + OpenPgpKeyMaterial.fingerprint(secret.getPublicKey()));
    }

    /** A v4 key (Ed25519 legacy and Curve25519 ECDH, as Veil's own) whose self-signature advertises {@code features}. */
    static PGPSecretKeyRing v4Key(String userId, byte features) throws Exception {
        Date now = new Date(System.currentTimeMillis() / 1000 * 1000);
        PGPKeyPair primary = new JcaPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.EDDSA_LEGACY,
                KeyPairGenerator.getInstance("Ed25519", Providers.BC).generateKeyPair(), now);
        PGPKeyPair encryption = new JcaPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.ECDH,
                KeyPairGenerator.getInstance("X25519", Providers.BC).generateKeyPair(), now);
        PGPSignatureSubpacketGenerator primaryPackets = new PGPSignatureSubpacketGenerator();
        primaryPackets.setKeyFlags(true, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
        primaryPackets.setFeature(false, features);
        PGPSignatureSubpacketGenerator subkeyPackets = new PGPSignatureSubpacketGenerator();
        subkeyPackets.setKeyFlags(true, KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE);
        PGPKeyRingGenerator generator = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, primary, userId,
                new JcaPGPDigestCalculatorProviderBuilder().setProvider(Providers.BC).build().get(HashAlgorithmTags.SHA1),
                primaryPackets.generate(), null,
                new JcaPGPContentSignerBuilder(primary.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA512).setProvider(Providers.BC),
                null);
        generator.addSubKey(encryption, subkeyPackets.generate(), null);
        return generator.generateSecretKeyRing();
    }
}
