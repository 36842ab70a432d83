package dev.veil.gateway.contacts;

import dev.veil.config.ContactsPolicy;
import dev.veil.crypto.Pseudonymiser;
import dev.veil.gateway.db.ContactVaultDao;
import ezvcard.VCard;
import ezvcard.property.Uid;
import java.nio.ByteBuffer;
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
    /** Rows written before the sealed card and original bytes were kept: the header, then the card's lossless form. */
    private static final byte[] MAGIC_V1 = "veil-vault-card-1\n".getBytes(StandardCharsets.US_ASCII);
    /** The header, the card's and the sealed card's lossless forms (each after its 4-byte length), the original bytes. */
    private static final byte[] MAGIC = "veil-vault-card-2\n".getBytes(StandardCharsets.US_ASCII);

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
    public VCard seal(String mailbox, VCard real, byte[] original) throws ContactException {
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
        byte[] encoded = CardCodec.encode(real);
        byte[] kept = original != null ? original : unchangedOriginal(p, box, id, encoded);
        String ciphertext = p.encrypt(VAULT_KIND, new RowContent(encoded, storable(sealed), kept).envelope(box, id));
        try {
            vault.put(box, id, p.currentVersion(), ciphertext, clock.instant());
        } catch (SQLException e) {
            throw new ContactException("cannot store the real card of " + id + " (" + box + ") in the vault: "
                    + e.getMessage() + " — nothing was sealed; retry when the database is available", e);
        }
        return sealed;
    }

    /**
     * The sealed card's lossless form, or null when it has a property the lossless form refuses (a pseudonymised
     * {@code BDAY} is text where a 3.0 card wants a date): {@link #sealedForm} then makes it again instead.
     */
    private static byte[] storable(VCard sealed) {
        try {
            return CardCodec.encode(sealed);
        } catch (IllegalArgumentException notLossless) {
            return null;
        }
    }

    /**
     * The original bytes the row already holds, if its card is the one being sealed now: sealing again what Outlook
     * shows unchanged (a sync, a re-seal) must not lose them, while an edited card must not be exported as its old text.
     */
    private byte[] unchangedOriginal(Pseudonymiser p, String box, String id, byte[] encoded) throws ContactException {
        Optional<ContactVaultDao.Row> row = findRow(box, id);
        if (row.isEmpty() || !row.get().vaultId().equals(id)) {
            return null;
        }
        RowContent before = RowContent.open(p, row.get());
        return before.original() != null && Arrays.equals(before.card(), encoded) ? before.original() : null;
    }

    @Override
    public Optional<VaultedCard> revealVaulted(String mailbox, String vaultId) throws ContactException {
        Optional<ContactVaultDao.Row> row = findRow(mailbox(mailbox), vaultId);
        if (row.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(RowContent.open(keys(), row.get()).vaulted(row.get()));
    }

    /** The row whose vault id (or id before the last re-seal) is {@code id}; a clear error when the database fails. */
    private Optional<ContactVaultDao.Row> findRow(String box, String id) throws ContactException {
        try {
            return vault.find(box, id);
        } catch (SQLException e) {
            throw new ContactException("cannot read vault id " + id + " of " + box + ": " + e.getMessage(), e);
        }
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

    /**
     * The sealed card stored with the row when Veil wrote it under this vault id (exact, whatever the policy or the
     * keys are now); for rows without one, the sealed card made again under the vault id's key version and the
     * policy in force.
     */
    @Override
    public VCard sealedForm(String mailbox, VCard real, String vaultId) throws ContactException {
        String box = mailbox(mailbox);
        Pseudonymiser p = keys();
        Optional<ContactVaultDao.Row> row = findRow(box, vaultId);
        if (row.isPresent()) {
            VCard stored = RowContent.open(p, row.get()).sealedCard(row.get());
            if (stored != null && stored.getUid() != null && vaultId.equals(stored.getUid().getValue())) {
                return stored;
            }
        }
        return sealedAnew(p, box, real, vaultId);
    }

    @Override
    public VCard sealedAnew(String mailbox, VCard real, String vaultId) throws ContactException {
        return sealedAnew(keys(), mailbox(mailbox), real, vaultId);
    }

    private VCard sealedAnew(Pseudonymiser p, String box, VCard real, String vaultId) throws ContactException {
        ContactsPolicy contacts = policy.get();
        if (contacts == null) {
            throw new ContactException("no policy in force: contacts are not sealed until one is");
        }
        int version = Pseudonymiser.versionOf(ContactSealer.VAULT_ID_KIND, vaultId);
        Pseudonymiser then;
        try {
            then = version < 0 ? p : p.atVersion(version);
        } catch (IllegalArgumentException e) {
            throw new ContactException("vault id " + vaultId + " of " + box + ": " + e.getMessage(), e);
        }
        return ContactSealer.seal(then, contacts, real, vaultId);
    }

    @Override
    public boolean isStale(String vaultId) throws ContactException {
        int version = Pseudonymiser.versionOf(ContactSealer.VAULT_ID_KIND, vaultId);
        return version >= 0 && version < keys().currentVersion();
    }

    /** By the UID's form: a vault id is a keyed hash, so its origin cannot be checked without the real card. */
    @Override
    public boolean isSealed(VCard card) {
        Uid uid = card == null ? null : card.getUid();
        return uid != null && ContactSealer.isVaultId(uid.getValue());
    }

    /** The real card of a vault row; a clear error when this Veil's keys cannot open it or it is not the row it claims. */
    static VCard open(Pseudonymiser p, ContactVaultDao.Row row) throws ContactException {
        return RowContent.open(p, row).vaulted(row).card();
    }

    /**
     * What a row holds under its encryption: the real card's lossless form, the sealed card Veil made of it (null in
     * rows written before it was kept), and the bytes it was imported from (null if none).
     */
    record RowContent(byte[] card, byte[] sealed, byte[] original) {
        /** Decrypts and checks a row; a clear error when this Veil's keys cannot open it or it is not the row it claims. */
        static RowContent open(Pseudonymiser p, ContactVaultDao.Row row) throws ContactException {
            byte[] plain = p.decrypt(VAULT_KIND, row.ciphertext()).orElseThrow(() -> new ContactException(
                    "vault id " + row.vaultId() + " of " + row.mailbox() + " cannot be decrypted with the pseudonym keys"
                            + " this Veil holds (key version " + row.keyVersion() + "): wrong master key or keys directory,"
                            + " or the row was altered — restore the keys directory that sealed it"));
            boolean v1 = startsWith(plain, header(MAGIC_V1, row.mailbox(), row.vaultId()));
            byte[] expected = header(v1 ? MAGIC_V1 : MAGIC, row.mailbox(), row.vaultId());
            if (!startsWith(plain, expected)) {
                throw new ContactException("vault row " + row.vaultId() + " of " + row.mailbox() + " holds another"
                        + " row's card (moved or copied in the database): refusing to reveal it");
            }
            if (v1) {
                return new RowContent(Arrays.copyOfRange(plain, expected.length, plain.length), null, null);
            }
            try {
                ByteBuffer rest = ByteBuffer.wrap(plain, expected.length, plain.length - expected.length);
                byte[] card = lengthPrefixed(rest);
                byte[] sealed = lengthPrefixed(rest);
                byte[] original = new byte[rest.remaining()];
                rest.get(original);
                return new RowContent(card, sealed.length == 0 ? null : sealed, original.length == 0 ? null : original);
            } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
                throw damaged(row, e);
            }
        }

        /**
         * The plaintext to encrypt for the row (mailbox, vault id): a header naming the row (so rows cannot be
         * swapped), the card's and the sealed card's lossless forms (each after its length), then the original bytes.
         */
        byte[] envelope(String mailbox, String vaultId) {
            byte[] header = header(MAGIC, mailbox, vaultId);
            byte[] sealedBytes = sealed == null ? new byte[0] : sealed;
            byte[] originalBytes = original == null ? new byte[0] : original;
            return ByteBuffer.allocate(header.length + 8 + card.length + sealedBytes.length + originalBytes.length)
                    .put(header).putInt(card.length).put(card).putInt(sealedBytes.length).put(sealedBytes)
                    .put(originalBytes).array();
        }

        VaultedCard vaulted(ContactVaultDao.Row row) throws ContactException {
            try {
                return new VaultedCard(CardCodec.decode(card), original);
            } catch (IllegalArgumentException e) {
                throw damaged(row, e);
            }
        }

        VCard sealedCard(ContactVaultDao.Row row) throws ContactException {
            try {
                return sealed == null ? null : CardCodec.decode(sealed);
            } catch (IllegalArgumentException e) {
                throw damaged(row, e);
            }
        }

        private static byte[] lengthPrefixed(ByteBuffer in) {
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw new IllegalArgumentException("a length of " + length + " does not fit the row");
            }
            byte[] bytes = new byte[length];
            in.get(bytes);
            return bytes;
        }

        private static ContactException damaged(ContactVaultDao.Row row, Exception e) {
            return new ContactException("vault row " + row.vaultId() + " of " + row.mailbox() + " is damaged: "
                    + e.getMessage(), e);
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] header(byte[] magic, String mailbox, String vaultId) {
        byte[] id = (mailbox + "\n" + vaultId + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(magic, magic.length + id.length);
        System.arraycopy(id, 0, out, magic.length, id.length);
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
