package dev.veil.gateway.graph;

import java.util.Arrays;
import java.util.Locale;

/**
 * A contact's photo as Graph serves it ({@code GET .../contacts/{id}/photo/$value}): the image bytes and their media
 * type ({@code image/jpeg}, without parameters). Compared by content, so a photo read back can be matched with one
 * Veil wrote.
 */
public record ContactPhoto(byte[] bytes, String contentType) {

    public ContactPhoto {
        if (bytes == null || bytes.length == 0) {
            throw new IllegalArgumentException("a contact photo has bytes (Graph answers 404 when there is no photo)");
        }
        bytes = bytes.clone();
        contentType = mediaType(contentType);
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Whether these are exactly {@code other}'s bytes. */
    public boolean sameBytes(byte[] other) {
        return Arrays.equals(bytes, other);
    }

    /** {@code image/jpeg; charset=x} → {@code image/jpeg}; absent or not an image → {@code image/jpeg} (Graph's default). */
    static String mediaType(String contentType) {
        if (contentType == null) {
            return "image/jpeg";
        }
        String type = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return type.startsWith("image/") && type.length() > "image/".length() ? type : "image/jpeg";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContactPhoto p && Arrays.equals(bytes, p.bytes) && contentType.equals(p.contentType);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(bytes) + contentType.hashCode();
    }

    @Override
    public String toString() {
        return "ContactPhoto[" + bytes.length + " bytes, " + contentType + "]"; // never the bytes: they are personal
    }
}
