package dev.veil.gateway.contacts;

import dev.veil.config.ContactsPolicy;
import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.db.ContactVaultDao;
import ezvcard.VCard;
import ezvcard.property.Uid;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The real {@link ContactProtector}: the real card goes into the vault (lossless form, AES-256-GCM under the current
 * pseudonym key version, bound to its mailbox and vault id), the policy's treatments make the sealed card, whose UID is
 * the vault id. Fail closed: if the vault write fails, no sealed card is returned, so nothing goes to Exchange
 * without its real data being safe.
 */
public final class VaultContactProtector implements ContactProtector {
    /** Pseudonymiser kind of the vault ciphertext. */
    static final String VAULT_KIND = "vc";
    private static final byte[] MAGIC = "veil-vault-card-1\n".getBytes(StandardCharsets.US_ASCII);

    private final Supplier<Pseudonymiser> pseudonymiser;
    private final Supplier<ContactsPolicy> policy;
    private final ContactVaultDao vault;
    private final Clock clock;

    /**
     * @param pseudonymiser the current keys (a supplier, so a rotation can swap in a new snapshot)
     * @param policy        the policy's {@code contacts} section in force
     */
    public VaultContactProtector(Supplier<Pseudonymiser> pseudonymiser, Supplier<ContactsPolicy> policy,
                                 ContactVaultDao vault, Clock clock) {
        this.pseudonymiser = pseudonymiser;
        this.policy = policy;
        this.vault = vault;
        this.clock = clock;
    }

    @Override
    public VCard seal(String mailbox, VCard real) throws ContactException {
        String box = mailbox(mailbox);
        if (isSealed(real)) {
            throw new ContactException("the card of " + box + " is already sealed (its UID " + real.getUid().getValue()
                    + " is a vault id): sealing it again would vault pseudonyms as real data");
        }
        Pseudonymiser p = keys();
        ContactsPolicy contacts = policy.get();
        if (contacts == null) {
            throw new ContactException("no policy in force: contacts are not sealed until one is");
        }
        String id = ContactSealer.vaultId(p, box, real);
        VCard sealed = ContactSealer.seal(p, contacts, real, id);
        String ciphertext = p.encrypt(VAULT_KIND, envelope(box, id, CardCodec.encode(real)));
        try {
            vault.put(box, id, p.currentVersion(), ciphertext, clock.instant());
        } catch (SQLException e) {
            throw new ContactException("cannot store the real card of " + id + " (" + box + ") in the vault: "
                    + e.getMessage() + " — nothing was sealed; retry when the database is available", e);
        }
        return sealed;
    }

    @Override
    public Optional<VCard> reveal(String mailbox, String vaultId) throws ContactException {
        String box = mailbox(mailbox);
        Optional<ContactVaultDao.Row> row;
        try {
            row = vault.find(box, vaultId);
        } catch (SQLException e) {
            throw new ContactException("cannot read vault id " + vaultId + " of " + box + ": " + e.getMessage(), e);
        }
        if (row.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(open(keys(), row.get()));
    }

    @Override
    public boolean forget(String mailbox, String vaultId) throws ContactException {
        String box = mailbox(mailbox);
        try {
            return vault.delete(box, vaultId);
        } catch (SQLException e) {
            throw new ContactException("cannot delete vault id " + vaultId + " of " + box + ": " + e.getMessage(), e);
        }
    }

    /** By the UID's form: a vault id is a keyed hash, so its origin cannot be checked without the real card. */
    @Override
    public boolean isSealed(VCard card) {
        Uid uid = card == null ? null : card.getUid();
        return uid != null && ContactSealer.isVaultId(uid.getValue());
    }

    /** The real card of a vault row; a clear error when this Veil's keys cannot open it or it is not the row it claims. */
    static VCard open(Pseudonymiser p, ContactVaultDao.Row row) throws ContactException {
        byte[] plain = p.decrypt(VAULT_KIND, row.ciphertext()).orElseThrow(() -> new ContactException(
                "vault id " + row.vaultId() + " of " + row.mailbox() + " cannot be decrypted with the pseudonym keys"
                        + " this Veil holds (key version " + row.keyVersion() + "): wrong master key or keys directory,"
                        + " or the row was altered — restore the keys directory that sealed it"));
        byte[] expected = header(row.mailbox(), row.vaultId());
        if (plain.length < expected.length || !Arrays.equals(plain, 0, expected.length, expected, 0, expected.length)) {
            throw new ContactException("vault row " + row.vaultId() + " of " + row.mailbox() + " holds another"
                    + " row's card (moved or copied in the database): refusing to reveal it");
        }
        try {
            return CardCodec.decode(Arrays.copyOfRange(plain, expected.length, plain.length));
        } catch (IllegalArgumentException e) {
            throw new ContactException("vault row " + row.vaultId() + " of " + row.mailbox() + " is damaged: " + e.getMessage(), e);
        }
    }

    /** The plaintext under the vault's encryption: a header naming the row, then the card, so rows cannot be swapped. */
    static byte[] envelope(String mailbox, String vaultId, byte[] card) {
        byte[] header = header(mailbox, vaultId);
        ByteArrayOutputStream out = new ByteArrayOutputStream(header.length + card.length);
        out.writeBytes(header);
        out.writeBytes(card);
        return out.toByteArray();
    }

    private static byte[] header(String mailbox, String vaultId) {
        byte[] id = (mailbox + "\n" + vaultId + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(MAGIC, MAGIC.length + id.length);
        System.arraycopy(id, 0, out, MAGIC.length, id.length);
        return out;
    }

    static String mailbox(String mailbox) throws ContactException {
        if (mailbox == null || mailbox.isBlank() || mailbox.indexOf('@') <= 0) {
            throw new ContactException("'" + mailbox + "' is not a mailbox address (e.g. alice@example.com)");
        }
        return mailbox.strip().toLowerCase(Locale.ROOT);
    }

    private Pseudonymiser keys() throws ContactException {
        try {
            return pseudonymiser.get();
        } catch (IllegalStateException e) {
            throw new ContactException("contacts cannot be sealed or revealed: " + e.getMessage(), e);
        }
    }
}
