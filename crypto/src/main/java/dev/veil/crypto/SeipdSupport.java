package dev.veil.crypto;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.sig.Features;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentVerifierBuilderProvider;

/**
 * Which encrypted-data container (RFC 9580 section 5.13) a recipient's key can be sent: SEIPD v1 behind a v3 PKESK,
 * SEIPD v2 (AEAD) behind a v6 PKESK, or both.
 *
 * <ul>
 *   <li>A v6 key: v2 only. Its holder runs RFC 9580 software, and Veil does not put v6 keys in v3 PKESKs.</li>
 *   <li>A v4 key whose self-signatures advertise feature 0x08 (SEIPD v2, RFC 9580 section 5.2.3.32): both.</li>
 *   <li>Any other v4 key: v1 only. GnuPG 2.3+ sets 0x02 instead, which is LibrePGP's OCB packet (tag 20), not SEIPD
 *       v2; and gpg 2.2 sets 0x01 alone.</li>
 * </ul>
 */
enum SeipdSupport {
    V1_ONLY, V1_AND_V2, V2_ONLY;

    static SeipdSupport of(PGPPublicKeyRing ring) {
        PGPPublicKey primary = ring.getPublicKey();
        if (primary.getVersion() == PublicKeyPacket.VERSION_6) {
            return V2_ONLY;
        }
        // Most v4 keys (gpg's, Veil's) claim nothing newer: answer without verifying any signature.
        if (!anySelfSignatureClaimsV2(primary)) {
            return V1_ONLY;
        }
        List<Features> features = verifiedFeatures(primary);
        return !features.isEmpty() && features.stream().allMatch(Features::supportsSEIPDv2) ? V1_AND_V2 : V1_ONLY;
    }

    private static boolean anySelfSignatureClaimsV2(PGPPublicKey primary) {
        Iterator<PGPSignature> signatures = primary.getSignatures();
        while (signatures.hasNext()) {
            PGPSignature signature = signatures.next();
            Features features = signature.getHashedSubPackets() == null ? null : signature.getHashedSubPackets().getFeatures();
            if (features != null && features.supportsSEIPDv2()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The Features of the newest valid direct-key signature and of each user id's newest valid self-certification,
     * where present. All of them must advertise SEIPD v2 for the key to get it: a key that says v1 anywhere is sent v1.
     */
    private static List<Features> verifiedFeatures(PGPPublicKey primary) {
        List<PGPSignature> governing = new ArrayList<>();
        PGPSignature directKey = OpenPgpKeyMaterial.newestSelfSignature(primary, primary, PGPSignature.DIRECT_KEY);
        if (directKey != null) {
            governing.add(directKey);
        }
        Iterator<String> ids = primary.getUserIDs();
        while (ids.hasNext()) {
            PGPSignature certification = newestSelfCertification(primary, ids.next());
            if (certification != null) {
                governing.add(certification);
            }
        }
        List<Features> features = new ArrayList<>();
        for (PGPSignature signature : governing) {
            Features f = signature.getHashedSubPackets() == null ? null : signature.getHashedSubPackets().getFeatures();
            if (f != null) {
                features.add(f);
            }
        }
        return features;
    }

    private static PGPSignature newestSelfCertification(PGPPublicKey primary, String id) {
        PGPSignature newest = null;
        Iterator<PGPSignature> signatures = primary.getSignaturesForID(id);
        while (signatures != null && signatures.hasNext()) {
            PGPSignature signature = signatures.next();
            int type = signature.getSignatureType();
            boolean certification = OpenPgpKeyMaterial.isCertification(type);
            if (!certification || (newest != null && !signature.getCreationTime().after(newest.getCreationTime()))) {
                continue;
            }
            try {
                signature.init(new JcaPGPContentVerifierBuilderProvider().setProvider(Providers.BC), primary);
                if (signature.verifyCertification(id, primary)) {
                    newest = signature;
                }
            } catch (PGPException | RuntimeException e) {
                // a certification that does not verify does not count
            }
        }
        return newest;
    }
}
