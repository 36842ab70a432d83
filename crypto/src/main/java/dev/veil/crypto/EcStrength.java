package dev.veil.crypto;

import java.security.interfaces.ECKey;

/** The SHA-2 size that matches an elliptic curve's strength (RFC 5753 section 8, RFC 5480 section 4). */
final class EcStrength {
    private EcStrength() {
    }

    /** 256 for curves up to 256 bits (P-256), 384 up to 384 (P-384), 512 above (P-521). */
    static int hashBits(ECKey key) {
        int fieldBits = key.getParams().getCurve().getField().getFieldSize();
        return fieldBits > 384 ? 512 : fieldBits > 256 ? 384 : 256;
    }
}
