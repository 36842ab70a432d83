package dev.veil.gateway.contacts;

import dev.veil.crypto.KeyException;
import dev.veil.crypto.MasterKey;
import dev.veil.gateway.db.Database;
import ezvcard.Ezvcard;
import ezvcard.VCard;
import ezvcard.VCardVersion;
import ezvcard.property.Address;
import ezvcard.property.Email;
import ezvcard.property.Nickname;
import ezvcard.property.Note;
import ezvcard.property.Organization;
import ezvcard.property.StructuredName;
import ezvcard.property.Telephone;
import ezvcard.property.Title;
import ezvcard.property.Uid;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * INTERIM stand-in for the pseudonymiser-based protector (issue 5, {@code crypto}): keeps the sync and its tests
 * honest until that lands, and is replaced in {@link ContactProtectors#open} then. It vaults each real card (its
 * vCard text, AES-256-GCM under the key store's master key, bound to mailbox and vault id) in the
 * {@code contact_vault_interim} table, and seals by putting a fixed-length random-looking token (HMAC of the value)
 * in place of every personal value Exchange gets; everything else (photos, dates, X- properties) stays in the vault
 * only. Not format-preserving, no aliases: mail to a sealed address does not route back.
 *
 * <p>Vault ids: {@code veil-} + base32(16 bytes of HMAC over mailbox and the card's UID, or its text when it has
 * none || 4 bytes of HMAC over those 16), so the same contact always gets the same id and {@link #isSealed} can tell
 * Veil's ids from anything else without the database.
 */
public final class InterimContactVault implements ContactProtector {
    private static final String PREFIX = "veil-";
    private static final int TOKEN_CHARS = 16;
    private final Database database;
    private final MasterKey master;
    private final byte[] hmacKey;

    public InterimContactVault(Database database, MasterKey master) {
        this.database = database;
        this.master = master;
        byte[] masterBytes = Base64.getDecoder().decode(master.toBase64());
        try {
            this.hmacKey = hmac(masterBytes, "veil interim contact vault v1".getBytes(StandardCharsets.UTF_8));
        } finally {
            Arrays.fill(masterBytes, (byte) 0);
        }
    }

    @Override
    public VCard seal(String mailbox, VCard real) throws ContactException {
        String m = mailbox.toLowerCase(Locale.ROOT);
        String text = write(real);
        String vaultId = vaultId(m, real, text);
        byte[] wrapped = master.wrap(text.getBytes(StandardCharsets.UTF_8), aad(m, vaultId));
        store(m, vaultId, Base64.getEncoder().encodeToString(wrapped));
        return sealed(vaultId, real);
    }

    @Override
    public Optional<VCard> reveal(String mailbox, String vaultId) throws ContactException {
        String m = mailbox.toLowerCase(Locale.ROOT);
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement(
                     "SELECT real_card FROM contact_vault_interim WHERE mailbox = ? AND vault_id = ?")) {
            s.setString(1, m);
            s.setString(2, vaultId);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                byte[] plain = master.unwrap(Base64.getDecoder().decode(r.getString(1)), aad(m, vaultId));
                VCard card = Ezvcard.parse(new String(plain, StandardCharsets.UTF_8)).first();
                if (card == null) {
                    throw new ContactException("vault entry " + vaultId + " of " + mailbox + " holds no vCard");
                }
                return Optional.of(card);
            }
        } catch (SQLException e) {
            throw new ContactException("cannot read vault entry " + vaultId + " of " + mailbox + ": " + e.getMessage(), e);
        } catch (KeyException e) {
            throw new ContactException("vault entry " + vaultId + " of " + mailbox + " does not decrypt: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean forget(String mailbox, String vaultId) throws ContactException {
        try (Connection c = database.connection();
             PreparedStatement s = c.prepareStatement(
                     "DELETE FROM contact_vault_interim WHERE mailbox = ? AND vault_id = ?")) {
            s.setString(1, mailbox.toLowerCase(Locale.ROOT));
            s.setString(2, vaultId);
            return s.executeUpdate() > 0;
        } catch (SQLException e) {
            throw new ContactException("cannot delete vault entry " + vaultId + " of " + mailbox + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isSealed(VCard card) {
        Uid uid = card.getUid();
        if (uid == null || uid.getValue() == null || !uid.getValue().startsWith(PREFIX)) {
            return false;
        }
        byte[] raw;
        try {
            raw = Base32.decode(uid.getValue().substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (raw.length != 20) {
            return false;
        }
        byte[] tag = Arrays.copyOf(hmac(hmacKey, concat("vault-id".getBytes(StandardCharsets.UTF_8),
                Arrays.copyOf(raw, 16))), 4);
        return MessageDigest.isEqual(tag, Arrays.copyOfRange(raw, 16, 20));
    }

    private String vaultId(String mailbox, VCard real, String text) {
        String basis = real.getUid() != null && real.getUid().getValue() != null && !real.getUid().getValue().isBlank()
                ? "uid\0" + mailbox + "\0" + real.getUid().getValue()
                : "card\0" + mailbox + "\0" + text;
        byte[] id = Arrays.copyOf(hmac(hmacKey, basis.getBytes(StandardCharsets.UTF_8)), 16);
        byte[] tag = Arrays.copyOf(hmac(hmacKey, concat("vault-id".getBytes(StandardCharsets.UTF_8), id)), 4);
        return PREFIX + Base32.encode(concat(id, tag));
    }

    /** The card Exchange may hold: the vault id, and a token for every personal value Graph has a field for. */
    private VCard sealed(String vaultId, VCard real) {
        VCard s = new VCard(VCardVersion.V4_0);
        s.setUid(new Uid(vaultId));
        int[] n = {0};
        java.util.function.Function<String, String> t = v -> token(vaultId, n[0]++, v);
        s.setFormattedName(t.apply(real.getFormattedName() == null ? "" : real.getFormattedName().getValue()));
        StructuredName name = real.getStructuredName();
        if (name != null) {
            StructuredName sn = new StructuredName();
            sn.setFamily(t.apply(String.valueOf(name.getFamily())));
            sn.setGiven(t.apply(String.valueOf(name.getGiven())));
            s.setStructuredName(sn);
        }
        for (Nickname nick : real.getNicknames()) {
            s.setNickname(t.apply(String.join(",", nick.getValues())));
        }
        for (Email email : real.getEmails()) {
            Email e = new Email(t.apply(email.getValue()) + "@veil.invalid");
            e.getTypes().addAll(email.getTypes());
            s.addEmail(e);
        }
        for (Telephone tel : real.getTelephoneNumbers()) {
            Telephone p = new Telephone(t.apply(tel.getText() != null ? tel.getText() : String.valueOf(tel.getUri())));
            p.getTypes().addAll(tel.getTypes());
            s.addTelephoneNumber(p);
        }
        for (Address adr : real.getAddresses()) {
            Address a = new Address();
            a.getTypes().addAll(adr.getTypes());
            a.setStreetAddress(t.apply(String.valueOf(adr.getStreetAddresses())));
            a.setLocality(t.apply(String.valueOf(adr.getLocalities())));
            a.setCountry(t.apply(String.valueOf(adr.getCountries())));
            s.addAddress(a);
        }
        for (Organization org : real.getOrganizations()) {
            s.setOrganization(t.apply(String.valueOf(org.getValues())));
        }
        for (Title title : real.getTitles()) {
            s.addTitle(t.apply(title.getValue()));
        }
        for (Note note : real.getNotes()) {
            s.addNote(t.apply(note.getValue()));
        }
        return s;
    }

    private String token(String vaultId, int index, String value) {
        byte[] mac = hmac(hmacKey, (vaultId + "\0" + index + "\0" + value).getBytes(StandardCharsets.UTF_8));
        return Base32.encode(mac).substring(0, TOKEN_CHARS);
    }

    private void store(String mailbox, String vaultId, String sealedText) throws ContactException {
        try (Connection c = database.connection()) {
            try (PreparedStatement u = c.prepareStatement("UPDATE contact_vault_interim SET real_card = ?, updated_at = ?"
                    + " WHERE mailbox = ? AND vault_id = ?")) {
                u.setString(1, sealedText);
                u.setLong(2, System.currentTimeMillis());
                u.setString(3, mailbox);
                u.setString(4, vaultId);
                if (u.executeUpdate() > 0) {
                    return;
                }
            }
            try (PreparedStatement i = c.prepareStatement("INSERT INTO contact_vault_interim (mailbox, vault_id,"
                    + " real_card, updated_at) VALUES (?, ?, ?, ?)")) {
                i.setString(1, mailbox);
                i.setString(2, vaultId);
                i.setString(3, sealedText);
                i.setLong(4, System.currentTimeMillis());
                i.executeUpdate();
            }
        } catch (SQLException e) {
            throw new ContactException("cannot store vault entry " + vaultId + " of " + mailbox + ": " + e.getMessage(), e);
        }
    }

    /** The card as vCard text in its own version (what {@link #reveal} parses back). */
    static String write(VCard card) {
        return VCardFiles.write(card);
    }

    private static byte[] aad(String mailbox, String vaultId) {
        return ("veil-contact\0" + mailbox + "\0" + vaultId).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** RFC 4648 base32, lower case, no padding. */
    static final class Base32 {
        private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

        static String encode(byte[] data) {
            StringBuilder out = new StringBuilder();
            int buffer = 0;
            int bits = 0;
            for (byte b : data) {
                buffer = (buffer << 8) | (b & 0xff);
                bits += 8;
                while (bits >= 5) {
                    out.append(ALPHABET.charAt((buffer >> (bits - 5)) & 31));
                    bits -= 5;
                }
            }
            if (bits > 0) {
                out.append(ALPHABET.charAt((buffer << (5 - bits)) & 31));
            }
            return out.toString();
        }

        static byte[] decode(String text) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int buffer = 0;
            int bits = 0;
            for (char c : text.toCharArray()) {
                int v = ALPHABET.indexOf(c);
                if (v < 0) {
                    throw new IllegalArgumentException("not base32: " + c);
                }
                buffer = (buffer << 5) | v;
                bits += 5;
                if (bits >= 8) {
                    out.write((buffer >> (bits - 8)) & 0xff);
                    bits -= 8;
                }
            }
            return out.toByteArray();
        }
    }
}
