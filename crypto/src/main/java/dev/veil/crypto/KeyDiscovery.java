package dev.veil.crypto;

import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/** Finds a recipient's OpenPGP key outside Veil's own stores (e.g. {@link WebKeyDirectory}). */
@FunctionalInterface
public interface KeyDiscovery {
    /** The key published for the address, or empty if none could be found now. */
    Optional<PGPPublicKeyRing> lookup(String address) throws KeyException;
}
