package dev.veil.tests.support;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import javax.imageio.ImageIO;

/** Small JPEGs standing in for people's photos: a colour gradient with noise, different for every seed. */
public final class Jpegs {
    private Jpegs() {
    }

    public static byte[] photo(long seed) {
        Random random = new Random(seed);
        int w = 64 + random.nextInt(64);
        int h = 64 + random.nextInt(64);
        int base = random.nextInt(0xffffff);
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = ((base >> 16) + x * 3 + random.nextInt(24)) & 0xff;
                int g = ((base >> 8) + y * 3 + random.nextInt(24)) & 0xff;
                int b = (base + x + y + random.nextInt(24)) & 0xff;
                image.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "jpg", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
