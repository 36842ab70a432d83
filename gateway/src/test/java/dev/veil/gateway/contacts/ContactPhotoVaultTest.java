package dev.veil.gateway.contacts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.graph.ContactPhoto;
import ezvcard.Ezvcard;
import ezvcard.VCard;
import ezvcard.VCardVersion;
import ezvcard.property.Photo;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A photo read from Graph, as the vault keeps it and the export writes it; and the placeholder, recognised. */
class ContactPhotoVaultTest {

    private static byte[] jpeg(BufferedImage image) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", out);
        return out.toByteArray();
    }

    private static byte[] face() throws Exception {
        Random random = new Random(42);
        BufferedImage image = new BufferedImage(80, 100, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 100; y++) {
            for (int x = 0; x < 80; x++) {
                image.setRGB(x, y, (x * 3 & 0xff) << 16 | (y * 2 & 0xff) << 8 | random.nextInt(256));
            }
        }
        return jpeg(image);
    }

    @ParameterizedTest
    @EnumSource(value = VCardVersion.class)
    void aGraphPhotoSurvivesTheVaultAndIsWrittenInTheCardsVersion(VCardVersion version) throws Exception {
        byte[] face = face();
        VCard card = new VCard(version);
        card.setFormattedName("Imogen Photographed");
        card.addPhoto(ContactSync.photoProperty(new ContactPhoto(face, "image/jpeg; charset=binary")));

        VCard back = CardCodec.decode(CardCodec.encode(card));
        assertThat(back.getPhotos()).hasSize(1);
        assertThat(back.getPhotos().get(0).getData()).isEqualTo(face);

        String text = VCardFiles.write(back);
        String form = switch (version) {
            case V2_1 -> "PHOTO;ENCODING=BASE64;TYPE=jpeg:";
            case V3_0 -> "PHOTO;ENCODING=b;TYPE=jpeg:";
            case V4_0 -> "PHOTO:data:image/jpeg;base64,";
        };
        assertThat(text).contains(form);
        Photo read = Ezvcard.parse(text).first().getPhotos().get(0);
        assertThat(read.getData()).isEqualTo(face);
    }

    @Test
    void thePlaceholderIsRecognisedEvenReEncodedAndAPhotoIsNot() throws Exception {
        ContactPhoto placeholder = PhotoPlaceholder.photo();
        assertThat(PhotoPlaceholder.is(placeholder)).isTrue();
        assertThat(placeholder.bytes()).hasSizeLessThan(1024);

        // as a server might store it: decoded, scaled to 240x240 and encoded again
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(placeholder.bytes()));
        BufferedImage scaled = new BufferedImage(240, 240, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.drawImage(decoded, 0, 0, 240, 240, null);
        g.dispose();
        byte[] reEncoded = jpeg(scaled);
        assertThat(reEncoded).isNotEqualTo(placeholder.bytes());
        assertThat(PhotoPlaceholder.is(new ContactPhoto(reEncoded, "image/jpeg"))).isTrue();

        assertThat(PhotoPlaceholder.is(new ContactPhoto(face(), "image/jpeg"))).isFalse();
        // one dark pixel is not the placeholder any more: it could be a (tiny) photo of someone
        BufferedImage marked = new BufferedImage(96, 96, BufferedImage.TYPE_INT_RGB);
        Graphics2D m = marked.createGraphics();
        m.setColor(new Color(0xC8, 0xC8, 0xC8));
        m.fillRect(0, 0, 96, 96);
        m.setColor(Color.BLACK);
        m.fillRect(40, 40, 4, 4);
        m.dispose();
        assertThat(PhotoPlaceholder.is(new ContactPhoto(jpeg(marked), "image/jpeg"))).isFalse();
        assertThat(PhotoPlaceholder.is(new ContactPhoto(new byte[] {1, 2, 3}, "image/jpeg"))).isFalse();
    }
}
