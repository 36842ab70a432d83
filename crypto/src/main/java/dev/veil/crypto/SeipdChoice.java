package dev.veil.crypto;

import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import org.bouncycastle.openpgp.PGPPublicKey;

/**
 * The encrypted-data container of one OpenPGP message to several keys (RFC 9580 sections 5.1 and 13.7): SEIPD v2 when
 * every key can take it, else SEIPD v1 — and no message at all when a key that takes only v2 (a v6 key) meets one
 * that takes only v1 (a gpg 2.2 key). Either container would leave one of them unable to read, so that is refused
 * (the gateway defers the message and names both) rather than sent.
 *
 * <p>Veil's escrow key is a v4 key that advertises only v1, so that the escrow secret exported to gpg 2.2 reads
 * ordinary mail; but the escrow is read by Veil itself, whose opener reads both containers, so it is counted as
 * taking both ({@code V1_AND_V2}) and never decides the version. An escrow secret exported to gpg 2.2 cannot open the
 * v2 messages; {@code veil decrypt} and RFC 9580 implementations can.
 */
final class SeipdChoice {
    private SeipdChoice() {
    }

    /** One key a message is encrypted to; {@code owner} names it in messages (an address, or "the escrow key"). */
    record Target(String owner, PGPPublicKey key, SeipdSupport support) {
    }

    /**
     * @return 2 if every target takes SEIPD v2, else 1
     * @throws KeyException if one target takes only v2 and another only v1
     */
    static int version(Collection<Target> targets) throws KeyException {
        List<Target> v2Only = targets.stream().filter(t -> t.support() == SeipdSupport.V2_ONLY).toList();
        List<Target> v1Only = targets.stream().filter(t -> t.support() == SeipdSupport.V1_ONLY).toList();
        if (!v2Only.isEmpty() && !v1Only.isEmpty()) {
            throw new KeyException("cannot encrypt one OpenPGP message to " + describe(v2Only)
                    + " (v6 keys: RFC 9580 SEIPD v2 only) and to " + describe(v1Only)
                    + " (keys that advertise SEIPD v1 only, as GnuPG 2.2's do): no format reaches both, and Veil sends"
                    + " nobody a message they cannot read — send them separate messages, or import for the latter keys"
                    + " that advertise SEIPD v2 (feature 0x08)");
        }
        return v1Only.isEmpty() ? 2 : 1;
    }

    private static String describe(List<Target> targets) {
        return targets.stream().map(t -> t.owner() + " (" + OpenPgpKeyMaterial.fingerprint(t.key()) + ")")
                .collect(Collectors.joining(", "));
    }
}
