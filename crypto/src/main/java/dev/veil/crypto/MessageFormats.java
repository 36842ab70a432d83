package dev.veil.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Recognises message formats from the top-level header. */
public final class MessageFormats {
    private MessageFormats() {
    }

    /**
     * Whether the header says the message is already encrypted end to end: S/MIME enveloped or
     * authEnveloped data ({@code application/pkcs7-mime} or {@code application/x-pkcs7-mime}, or such a type
     * without smime-type but named {@code *.p7m}), or PGP/MIME ({@code multipart/encrypted} with protocol
     * {@code application/pgp-encrypted}).
     *
     * <p>This is the sender's claim, not proof: a message that says so but carries plaintext is still
     * plaintext. Several Content-Type fields are treated as not encrypted (fail closed). Before relaying a
     * message unencrypted, check its body with {@link #isVerifiablyEncrypted(Path)}.
     */
    public static boolean isAlreadyEncrypted(List<HeaderField> header) {
        List<HeaderField> contentTypes = header.stream().filter(field -> field.is("Content-Type")).toList();
        if (contentTypes.size() != 1) {
            return false;
        }
        ContentType type = ContentType.parse(contentTypes.get(0).value());
        switch (type.value()) {
            case "application/pkcs7-mime", "application/x-pkcs7-mime" -> {
                String smimeType = type.parameter("smime-type");
                if (smimeType != null) {
                    String normalised = smimeType.strip().toLowerCase(Locale.ROOT);
                    return normalised.equals("enveloped-data") || normalised.equals("authenveloped-data");
                }
                return endsWithP7m(type.parameter("name")) || endsWithP7m(dispositionFileName(header));
            }
            case "multipart/encrypted" -> {
                String protocol = type.parameter("protocol");
                return protocol != null && protocol.strip().equalsIgnoreCase("application/pgp-encrypted");
            }
            default -> {
                return false;
            }
        }
    }

    /** {@link #isAlreadyEncrypted(List)} for a parsed header block. */
    public static boolean isAlreadyEncrypted(HeaderBlock header) {
        return isAlreadyEncrypted(header.fields());
    }

    /**
     * Whether the message really carries ciphertext: S/MIME EnvelopedData/AuthEnvelopedData or RFC 3156
     * PGP/MIME whose body is checked, streaming, down to the CMS structure or the OpenPGP packets. See
     * {@link EncryptedContentCheck}; {@link EncryptedContentCheck#check(Path)} also says why not.
     *
     * @throws IOException only if the file cannot be read
     */
    public static boolean isVerifiablyEncrypted(Path message) throws IOException {
        return EncryptedContentCheck.isVerifiablyEncrypted(message);
    }

    /** {@link #isVerifiablyEncrypted(Path)} for a stream, read to its end (not closed). */
    public static boolean isVerifiablyEncrypted(InputStream message) throws IOException {
        return EncryptedContentCheck.isVerifiablyEncrypted(message);
    }

    private static String dispositionFileName(List<HeaderField> header) {
        return header.stream().filter(field -> field.is("Content-Disposition")).findFirst()
                .map(field -> ContentType.parse(field.value()).parameter("filename"))
                .orElse(null);
    }

    private static boolean endsWithP7m(String name) {
        return name != null && name.strip().toLowerCase(Locale.ROOT).endsWith(".p7m");
    }
}
