package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageFormatsTest {

    @Test
    void recognisesSmimeEnvelopedAndAuthEnvelopedData() {
        assertThat(encrypted("Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m")).isTrue();
        assertThat(encrypted("content-type: Application/X-PKCS7-MIME;\r\n\tsmime-type=\"authEnveloped-data\"")).isTrue();
        assertThat(encrypted("Content-Type: application/pkcs7-mime (S/MIME); smime-type=Enveloped-Data (enc)")).isTrue();
    }

    @Test
    void recognisesOldP7mWithoutSmimeType() {
        assertThat(encrypted("Content-Type: application/x-pkcs7-mime; name=\"smime.p7m\"")).isTrue();
        assertThat(encrypted("Content-Type: application/pkcs7-mime\r\nContent-Disposition: attachment; filename=msg.P7M")).isTrue();
        assertThat(encrypted("Content-Type: application/pkcs7-mime; name*=utf-8''smime.p7m")).isTrue();
    }

    @Test
    void recognisesPgpMime() {
        assertThat(encrypted("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=x")).isTrue();
    }

    @Test
    void doesNotTakeSignedOrPlainMessagesForEncrypted() {
        assertThat(encrypted("Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m")).isFalse();
        assertThat(encrypted("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"")).isFalse();
        assertThat(encrypted("Content-Type: multipart/encrypted; protocol=\"application/other\"")).isFalse();
        assertThat(encrypted("Content-Type: text/plain; name=smime.p7m")).isFalse();
        assertThat(encrypted("Subject: no content type")).isFalse();
    }

    @Test
    void distrustsAMessageWithTwoContentTypes() {
        assertThat(encrypted("Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Type: text/plain")).isFalse();
    }

    private static boolean encrypted(String header) {
        return MessageFormats.isAlreadyEncrypted(HeaderBlock.parse((header + "\r\n\r\nbody").getBytes(StandardCharsets.UTF_8)));
    }
}
