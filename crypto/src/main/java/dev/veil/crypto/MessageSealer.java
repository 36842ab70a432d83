package dev.veil.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Seals a whole RFC 5322 message (exact bytes) into an encrypted message. The caller never picks modes, IVs or keys. */
public interface MessageSealer {
    SealReport seal(InputStream original, OutputStream out, SealRequest request) throws KeyException, IOException;
}
