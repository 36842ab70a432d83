package dev.veil.gateway.contacts;

import dev.veil.gateway.graph.ContactPhoto;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * The photo Exchange holds in place of a contact's real one: one fixed 96×96 JPEG of flat grey ({@code #C8C8C8}),
 * the same for every contact, so it says nothing about whom (only that the real card has a photo).
 *
 * <p>Read back, it must never be taken for the person's photo (it would replace the real one in the vault). It is
 * recognised by its bytes, and, should Exchange ever re-encode or resize what it was given, by its content: an image
 * whose every pixel is the placeholder's grey (within JPEG's rounding) carries no personal information either way.
 */
public final class PhotoPlaceholder {
    private static final String RESOURCE = "photo-placeholder.jpg";
    private static final int GREY = 0xC8;
    /** JPEG rounding of a flat colour stays well inside this; a real photo has edges and shades far outside it. */
    private static final int TOLERANCE = 12;
    private static final ContactPhoto PHOTO = load();

    private PhotoPlaceholder() {
    }

    public static ContactPhoto photo() {
        return PHOTO;
    }

    /** Whether a photo read from Exchange is the placeholder (by its bytes, else by its pixels). */
    public static boolean is(ContactPhoto photo) {
        if (photo.sameBytes(PHOTO.bytes())) {
            return true;
        }
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(photo.bytes()));
        } catch (IOException | RuntimeException undecodable) {
            return false; // an image Java cannot decode is kept as it is: it may be the person's photo
        }
        if (image == null) {
            return false;
        }
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                if (far(rgb >> 16) || far(rgb >> 8) || far(rgb)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean far(int channel) {
        return Math.abs((channel & 0xff) - GREY) > TOLERANCE;
    }

    private static ContactPhoto load() {
        try (InputStream in = PhotoPlaceholder.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the Veil jar (dev/veil/gateway/contacts/):"
                        + " rebuild it");
            }
            return new ContactPhoto(in.readAllBytes(), "image/jpeg");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE + " from the Veil jar", e);
        }
    }
}
