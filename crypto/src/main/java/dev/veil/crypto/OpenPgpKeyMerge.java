package dev.veil.crypto;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentVerifierBuilderProvider;

/**
 * Brings a stored OpenPGP key up to date with a newer copy of it, as {@code gpg --import} does: the union of the
 * stored ring and what the newer copy adds (revocations, self-signatures with a later expiry, new user ids, new
 * subkeys). Nothing is ever dropped from the stored ring, so a copy older than the stored one changes nothing.
 *
 * <p>Only self-signatures that verify against the primary key are taken over: whoever hands Veil a copy (an admin's
 * file, a key directory) could otherwise extend an expired key or bind a subkey of their own. Third-party
 * certifications in the newer copy are left out; Veil does not use them.
 */
final class OpenPgpKeyMerge {
    /** Signatures on the primary key itself (RFC 4880 5.2.1): direct-key 0x1F and key revocation 0x20. */
    private static final Set<Integer> KEY_SIGNATURES = Set.of(PGPSignature.DIRECT_KEY, PGPSignature.KEY_REVOCATION);
    /** Signatures on a subkey: binding 0x18 and subkey revocation 0x28. */
    private static final Set<Integer> SUBKEY_SIGNATURES = Set.of(PGPSignature.SUBKEY_BINDING, PGPSignature.SUBKEY_REVOCATION);

    private OpenPgpKeyMerge() {
    }

    /** {@code stored} with what {@code update} (a copy of the same primary key) adds; {@code stored} if nothing. */
    static PGPPublicKeyRing merge(PGPPublicKeyRing stored, PGPPublicKeyRing update) {
        PGPPublicKey primary = stored.getPublicKey();
        PGPPublicKey newPrimary = update.getPublicKey();
        PGPPublicKey merged = primary;
        for (PGPSignature signature : list(newPrimary.getKeySignatures())) {
            if (KEY_SIGNATURES.contains(signature.getSignatureType()) && !contains(merged.getKeySignatures(), signature)
                    && verifies(signature, primary, null, null)) {
                merged = PGPPublicKey.addCertification(merged, signature);
            }
        }
        for (String id : list(newPrimary.getUserIDs())) {
            for (PGPSignature signature : list(newPrimary.getSignaturesForID(id))) {
                int type = signature.getSignatureType();
                boolean selfType = OpenPgpKeyMaterial.isCertification(type) || type == PGPSignature.CERTIFICATION_REVOCATION;
                if (selfType && !contains(merged.getSignaturesForID(id), signature) && verifies(signature, primary, id, null)) {
                    merged = PGPPublicKey.addCertification(merged, id, signature);
                }
            }
        }

        List<PGPPublicKey> keys = new ArrayList<>();
        keys.add(merged);
        for (PGPPublicKey subkey : subkeys(stored)) {
            PGPPublicKey newer = update.getPublicKey(subkey.getFingerprint());
            keys.add(newer == null || newer.isMasterKey() ? subkey : withNewSignatures(primary, subkey, newer));
        }
        for (PGPPublicKey subkey : subkeys(update)) {
            if (stored.getPublicKey(subkey.getFingerprint()) == null) {
                PGPPublicKey verified = verifiedOnly(primary, subkey);
                if (verified != null) {
                    keys.add(verified);
                }
            }
        }
        PGPPublicKeyRing result = new PGPPublicKeyRing(keys);
        return sameEncoding(result, stored) ? stored : result;
    }

    /**
     * {@code stored} with a bare key revocation certificate (type 0x20, as {@code gpg --gen-revoke} writes) applied.
     *
     * @return null if the signature is not a revocation that the stored primary key made
     */
    static PGPPublicKeyRing applyRevocation(PGPPublicKeyRing stored, PGPSignature revocation) {
        PGPPublicKey primary = stored.getPublicKey();
        if (revocation.getSignatureType() != PGPSignature.KEY_REVOCATION || !verifies(revocation, primary, null, null)) {
            return null;
        }
        if (contains(primary.getKeySignatures(), revocation)) {
            return stored;
        }
        return PGPPublicKeyRing.insertPublicKey(stored, PGPPublicKey.addCertification(primary, revocation));
    }

    /** Whether the primary key carries a key revocation (0x20) that it made itself and that verifies. */
    static boolean revoked(PGPPublicKeyRing ring) {
        PGPPublicKey primary = ring.getPublicKey();
        return OpenPgpKeyMaterial.newestSelfSignature(primary, primary, PGPSignature.KEY_REVOCATION) != null;
    }

    private static PGPPublicKey withNewSignatures(PGPPublicKey primary, PGPPublicKey subkey, PGPPublicKey newer) {
        PGPPublicKey merged = subkey;
        for (PGPSignature signature : list(newer.getSignatures())) {
            if (SUBKEY_SIGNATURES.contains(signature.getSignatureType()) && !contains(merged.getSignatures(), signature)
                    && verifies(signature, primary, null, subkey)) {
                merged = PGPPublicKey.addCertification(merged, signature);
            }
        }
        return merged;
    }

    /** A new subkey with only its verified binding and revocation signatures; null if none binds it. */
    private static PGPPublicKey verifiedOnly(PGPPublicKey primary, PGPPublicKey subkey) {
        PGPPublicKey result = subkey;
        boolean bound = false;
        for (PGPSignature signature : list(subkey.getSignatures())) {
            if (SUBKEY_SIGNATURES.contains(signature.getSignatureType()) && verifies(signature, primary, null, subkey)) {
                bound |= signature.getSignatureType() == PGPSignature.SUBKEY_BINDING;
            } else {
                result = PGPPublicKey.removeCertification(result, signature);
            }
        }
        return bound ? result : null;
    }

    /** Verifies a signature by the primary key: on the primary key, on a user id, or binding a subkey. */
    private static boolean verifies(PGPSignature signature, PGPPublicKey primary, String id, PGPPublicKey subkey) {
        try {
            signature.init(new JcaPGPContentVerifierBuilderProvider().setProvider(Providers.BC), primary);
            if (id != null) {
                return signature.verifyCertification(id, primary);
            }
            return subkey != null ? signature.verifyCertification(primary, subkey) : signature.verifyCertification(primary);
        } catch (PGPException | RuntimeException e) {
            return false;
        }
    }

    private static boolean contains(Iterator<PGPSignature> signatures, PGPSignature wanted) {
        byte[] encoded = encoded(wanted);
        for (PGPSignature signature : list(signatures)) {
            if (Arrays.equals(encoded(signature), encoded)) {
                return true;
            }
        }
        return false;
    }

    private static List<PGPPublicKey> subkeys(PGPPublicKeyRing ring) {
        return list(ring.getPublicKeys()).stream().filter(k -> !k.isMasterKey()).toList();
    }

    private static boolean sameEncoding(PGPPublicKeyRing a, PGPPublicKeyRing b) {
        try {
            return Arrays.equals(a.getEncoded(), b.getEncoded());
        } catch (IOException e) {
            return false;
        }
    }

    private static byte[] encoded(PGPSignature signature) {
        try {
            return signature.getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode an OpenPGP signature: " + e.getMessage(), e);
        }
    }

    private static <T> List<T> list(Iterator<T> iterator) {
        List<T> list = new ArrayList<>();
        while (iterator != null && iterator.hasNext()) {
            list.add(iterator.next());
        }
        return list;
    }
}
