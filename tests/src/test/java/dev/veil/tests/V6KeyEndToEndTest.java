package dev.veil.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import dev.veil.config.PolicyLoader;
import dev.veil.tests.support.ExchangeAndVeil;
import dev.veil.tests.support.GatewayProcess;
import dev.veil.tests.support.SmtpSubmit;
import dev.veil.tests.support.VeilReceived;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.bcpg.BCPGInputStream;
import org.bouncycastle.bcpg.Packet;
import org.bouncycastle.bcpg.PublicKeyEncSessionPacket;
import org.bouncycastle.bcpg.SymmetricEncIntegrityPacket;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.jcajce.JcaOpenPGPApi;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyDataDecryptorFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user brings an RFC 9580 v6 key (made with Bouncy Castle's key generator, as their mail software would), imported
 * with {@code veil keys import}: Exchange receives SEIPD v2 behind v6 PKESKs, the user's own secret key opens it
 * (Bouncy Castle's low-level API, not Veil's code), and {@code veil decrypt} opens it with the escrow key.
 */
class V6KeyEndToEndTest {
    static final String READER = "reader@example.com";

    @TempDir
    Path dir;

    @Test
    void mailToAnImportedV6KeyIsSeipdV2ThatTheOwnKeyAndTheEscrowOpen() throws Exception {
        OpenPGPKey own = new JcaOpenPGPApi(new BouncyCastleProvider()).generateKey()
                .ed25519x25519Key("Reader <" + READER + ">").build();
        Path publicKey = dir.resolve("reader-v6.asc");
        Files.writeString(publicKey, own.toCertificate().toAsciiArmoredString());
        try (ExchangeAndVeil started = ExchangeAndVeil.prepared(dir.resolve("veil-data"), PolicyLoader.exampleYaml()
                .replace("issue-user-certificates: true", "issue-user-certificates: false")
                .replace("  formats: [smime]", "  formats: [smime, openpgp]")
                .replace("      format: smime\n", "      format: openpgp\n"))) {
            GreenMail exchange = started.exchange();
            GatewayProcess veil = started.veil();
            assertThat(veil.command("keys", "import", publicKey.toString())).contains(READER).contains("imported");
            assertThat(veil.command("keys", "show", READER)).containsPattern("VERSION +v6")
                    .containsPattern("FINGERPRINT +[0-9a-f]{64}");
            veil.start();
            String message = SmtpSubmit.message("v6-key", READER, "only an RFC 9580 reader opens this");
            String id = SmtpSubmit.send(veil.smtpPort(), "sender@partner.example", READER, message).queueId();
            veil.awaitState(id, "relayed", Duration.ofSeconds(30));
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            exchange.getReceivedMessages()[0].writeTo(raw);
            String outside = raw.toString(StandardCharsets.ISO_8859_1);
            assertThat(outside).contains("protocol=\"application/pgp-encrypted\"").doesNotContain("only an RFC 9580");
            byte[] binary = dearmor(outside);

            assertThat(packetVersions(binary)).containsExactly("PKESK v6", "PKESK v6", "SEIPD v2");
            assertThat(new String(VeilReceived.stripped(decrypt(binary, own)), StandardCharsets.UTF_8)).isEqualTo(message);
            Path received = dir.resolve("received.eml");
            Files.write(received, raw.toByteArray());
            Path byVeil = dir.resolve("by-veil.eml");
            veil.command("decrypt", received.toString(), "--out", byVeil.toString());
            assertThat(new String(VeilReceived.stripped(Files.readAllBytes(byVeil)), StandardCharsets.UTF_8))
                    .isEqualTo(message);
        }
    }

    private static byte[] dearmor(String outside) throws Exception {
        int begin = outside.indexOf("-----BEGIN PGP MESSAGE-----");
        int end = outside.indexOf("-----END PGP MESSAGE-----") + "-----END PGP MESSAGE-----".length();
        byte[] armored = outside.substring(begin, end).getBytes(StandardCharsets.ISO_8859_1);
        try (ArmoredInputStream in = new ArmoredInputStream(new ByteArrayInputStream(armored))) {
            return in.readAllBytes();
        }
    }

    private static List<String> packetVersions(byte[] binary) throws Exception {
        List<String> versions = new ArrayList<>();
        try (BCPGInputStream in = new BCPGInputStream(new ByteArrayInputStream(binary))) {
            Packet packet;
            while ((packet = in.readPacket()) != null) {
                if (packet instanceof PublicKeyEncSessionPacket pkesk) {
                    versions.add("PKESK v" + pkesk.getVersion());
                } else if (packet instanceof SymmetricEncIntegrityPacket seipd) {
                    versions.add("SEIPD v" + seipd.getVersion());
                    break;
                } else {
                    versions.add(packet.getClass().getSimpleName());
                }
            }
        }
        return versions;
    }

    private static byte[] decrypt(byte[] binary, OpenPGPKey own) throws Exception {
        PGPEncryptedDataList list = (PGPEncryptedDataList) new PGPObjectFactory(binary, new BcKeyFingerprintCalculator()).nextObject();
        for (PGPEncryptedData data : list) {
            PGPPublicKeyEncryptedData encrypted = (PGPPublicKeyEncryptedData) data;
            PGPSecretKey key = own.getPGPSecretKeyRing().getSecretKey(encrypted.getKeyIdentifier());
            if (key != null) {
                InputStream clear = encrypted.getDataStream(new BcPublicKeyDataDecryptorFactory(key.extractPrivateKey(null)));
                PGPLiteralData literal = (PGPLiteralData) new PGPObjectFactory(clear, new BcKeyFingerprintCalculator()).nextObject();
                byte[] plaintext = literal.getInputStream().readAllBytes();
                clear.readAllBytes();
                assertThat(encrypted.verify()).isTrue();
                return plaintext;
            }
        }
        throw new AssertionError("no session key packet for the reader's own key");
    }
}
