package dev.veil.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.fpe.FPEFF1Engine;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.FPEParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Keyed, deterministic pseudonyms: the same value always gets the same pseudonym (so syncs are idempotent and two
 * Veil nodes with the same keys agree without talking), and only the key holder can go back. One instance is an
 * immutable snapshot of the {@link PseudonymKeys}; it is thread-safe (engines are per thread).
 *
 * <p>Treatments, each with its own key derived from the version's secret (HKDF-SHA256), so one treatment's output
 * says nothing about another's:
 * <ul>
 *   <li>{@link #token}: AES-256-SIV (RFC 5297), base32: {@code <kind><version>-<base32>}, e.g. {@code n1-…};
 *       the kind is also the associated data, so a name token never decrypts as an email token.</li>
 *   <li>{@link #fpeDigits}: FF1 (NIST SP 800-38G) over the digits of a phone number; '+', the country code,
 *       separators and the length stay.</li>
 *   <li>{@link #aliasLocalPart}: {@code c-} and 20 base32 characters (100 bits) of a keyed hash. Short on
 *       purpose: an address's local part may have at most 64 octets (RFC 5321), and an AES-SIV token of a whole
 *       address would not fit; the real address goes with the alias into the vault as a {@link #token}.</li>
 *   <li>{@link #hash}: HMAC-SHA256, one-way; {@link #encrypt}: AES-256-GCM, random IV (not deterministic).</li>
 *   <li>{@link #messageId}: a Message-ID as a token under the alias domain, reversible without storage.</li>
 * </ul>
 */
public final class Pseudonymiser {
    private static final byte[] SALT = "veil pseudonymiser".getBytes(StandardCharsets.US_ASCII);
    private static final int FF1_MIN_DIGITS = 6; // SP 800-38G rev. 1: radix^minlen >= 1,000,000
    private static final int ALIAS_CHARS = 20;
    private static final int HASH_CHARS = 32;
    private static final int GCM_IV = 12;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final NavigableMap<Integer, byte[]> secrets;
    private final int current;
    private final ThreadLocal<Map<Integer, Engines>> engines = ThreadLocal.withInitial(HashMap::new);

    private Pseudonymiser(NavigableMap<Integer, byte[]> secrets) {
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("no pseudonym key versions");
        }
        this.secrets = secrets;
        this.current = secrets.lastKey();
    }

    public static Pseudonymiser of(PseudonymKeys keys) {
        return new Pseudonymiser(keys.secrets());
    }

    /** For tests and benchmarks: a pseudonymiser over given secrets (version to 64 bytes). */
    public static Pseudonymiser ofSecrets(NavigableMap<Integer, byte[]> secrets) {
        return new Pseudonymiser(secrets);
    }

    public int currentVersion() {
        return current;
    }

    /**
     * This pseudonymiser as it was while {@code version} was the current one: it makes what that version made (the
     * same tokens, aliases and hashes), and opens that version and older. After a rotation, this tells what Veil wrote
     * under the old version from what someone else changed.
     *
     * @throws IllegalArgumentException if this pseudonymiser does not hold that version
     */
    public Pseudonymiser atVersion(int version) {
        if (!secrets.containsKey(version)) {
            throw new IllegalArgumentException("pseudonym key version " + version + " is not held (versions "
                    + secrets.firstKey() + " to " + current + ")");
        }
        return version == current ? this : new Pseudonymiser(new java.util.TreeMap<>(secrets.headMap(version, true)));
    }

    /** AES-SIV token of {@code value}: {@code <kind><version>-<base32>}. Kind: 1 to 3 lower-case letters. */
    public String token(String kind, String value) {
        checkKind(kind);
        byte[] sealed = engines(current).siv.encrypt(value.getBytes(StandardCharsets.UTF_8), ascii(kind));
        return kind + current + "-" + Base32.encode(sealed);
    }

    /** The value behind a token of this kind made with any version still held; empty if it is not one. */
    public Optional<String> reveal(String kind, String token) {
        checkKind(kind);
        int dash = token.indexOf('-');
        if (dash <= kind.length() || !token.startsWith(kind)) {
            return Optional.empty();
        }
        int version = version(token, kind.length(), dash);
        if (version < 0 || !secrets.containsKey(version)) {
            return Optional.empty();
        }
        byte[] sealed = Base32.decode(token, dash + 1);
        byte[] plain = sealed == null ? null : engines(version).siv.decrypt(sealed, ascii(kind));
        return plain == null ? Optional.empty() : Optional.of(new String(plain, StandardCharsets.UTF_8));
    }

    /** The version a token was made with, or -1 (so a re-seal job can find what an old version made). */
    public static int versionOf(String kind, String token) {
        int dash = token.indexOf('-');
        return dash <= kind.length() || !token.startsWith(kind) ? -1 : version(token, kind.length(), dash);
    }

    /** {@code c-} and a keyed hash of the normalised address; the same address, the same alias, for ever per key version. */
    public String aliasLocalPart(String address) {
        return "c-" + Base32.encode(engines(current).mac("alias", normaliseAddress(address)), ALIAS_CHARS);
    }

    /** {@link #aliasLocalPart} at {@code aliasDomain}. */
    public String alias(String address, String aliasDomain) {
        return aliasLocalPart(address) + "@" + aliasDomain.toLowerCase(Locale.ROOT);
    }

    /** A short, stable, upper-case label for display names ("Contact 7QF2"); not unique, not reversible. */
    public String label(String value) {
        return Base32.encode(engines(current).mac("label", normaliseAddress(value)), 4).toUpperCase(Locale.ROOT);
    }

    /** Keyed one-way hash: {@code <kind><version>-<32 base32 chars>}; equal values, equal hashes. */
    public String hash(String kind, String value) {
        checkKind(kind);
        return kind + current + "-" + Base32.encode(engines(current).mac("hash:" + kind, value), HASH_CHARS);
    }

    /** AES-256-GCM under the current version: {@code <kind><version>-<base64url(iv || ciphertext || tag)>}. */
    public String encrypt(String kind, byte[] plaintext) {
        checkKind(kind);
        byte[] iv = new byte[GCM_IV];
        RANDOM.nextBytes(iv);
        try {
            Cipher gcm = engines(current).gcm(Cipher.ENCRYPT_MODE, iv, kind);
            byte[] sealed = gcm.doFinal(plaintext);
            byte[] out = ByteBuffer.allocate(GCM_IV + sealed.length).put(iv).put(sealed).array();
            return kind + current + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed: " + e.getMessage(), e);
        }
    }

    /**
     * {@link #encrypt} with a synthetic IV: the first 12 bytes of an HMAC over {@code context} and the plaintext, so
     * the same value in the same context always gives the same ciphertext (re-sealing an unchanged contact changes
     * nothing), while equal values in different contexts (say, two contacts' notes) still look unrelated. Opens with
     * {@link #decrypt}. The IV repeats only for a repeated (context, plaintext) pair, i.e. for the same message.
     */
    public String encrypt(String kind, byte[] plaintext, String context) {
        checkKind(kind);
        byte[] ad = (kind + "\0" + context + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] input = ByteBuffer.allocate(ad.length + plaintext.length).put(ad).put(plaintext).array();
        byte[] iv = java.util.Arrays.copyOf(engines(current).mac("gcm-siv-iv", input), GCM_IV);
        try {
            // a fresh Cipher: the JDK refuses to re-initialise one for encryption with the IV it used last
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", Providers.JDK_AES);
            gcm.init(Cipher.ENCRYPT_MODE, engines(current).gcmKey, new GCMParameterSpec(128, iv));
            gcm.updateAAD(ascii(kind));
            byte[] sealed = gcm.doFinal(plaintext);
            byte[] out = ByteBuffer.allocate(GCM_IV + sealed.length).put(iv).put(sealed).array();
            return kind + current + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed: " + e.getMessage(), e);
        }
    }

    /** What {@link #encrypt} sealed, or empty if it was not made by a version we hold for this kind. */
    public Optional<byte[]> decrypt(String kind, String ciphertext) {
        checkKind(kind);
        int dash = ciphertext.indexOf('-');
        if (dash <= kind.length() || !ciphertext.startsWith(kind)) {
            return Optional.empty();
        }
        int version = version(ciphertext, kind.length(), dash);
        if (version < 0 || !secrets.containsKey(version)) {
            return Optional.empty();
        }
        try {
            byte[] in = Base64.getUrlDecoder().decode(ciphertext.substring(dash + 1));
            if (in.length < GCM_IV + 16) {
                return Optional.empty();
            }
            Cipher gcm = engines(version).gcm(Cipher.DECRYPT_MODE, java.util.Arrays.copyOf(in, GCM_IV), kind);
            return Optional.of(gcm.doFinal(in, GCM_IV, in.length - GCM_IV));
        } catch (IllegalArgumentException | AEADBadTagException e) {
            return Optional.empty();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed: " + e.getMessage(), e);
        }
    }

    /**
     * FF1 over the digits of a phone number under the current version: separators, a leading '+' and the country
     * code stay where they are, so the result is still a plausible number of the same country and length.
     * Numbers with fewer than six digits to encrypt get every digit encrypted, country code included; numbers
     * with fewer than six digits in all cannot be format-preserved securely, and values with anything but digits,
     * '+', spaces, '-', '.', '/' and parentheses would show the rest: both get a {@link #token} instead.
     */
    public String fpeDigits(String kind, String phone) {
        return ff1(kind, phone, current, true);
    }

    /** The phone number behind {@link #fpeDigits} made with {@code version} (FF1 has no integrity check). */
    public String revealFpeDigits(String kind, String pseudonym, int version) {
        if (!secrets.containsKey(version)) {
            throw new IllegalArgumentException("pseudonym key version " + version + " is not held");
        }
        if (pseudonym.startsWith(kind) && pseudonym.indexOf('-') > kind.length()) {
            return reveal(kind, pseudonym).orElse(pseudonym);
        }
        return ff1(kind, pseudonym, version, false);
    }

    /** A Message-ID as {@code <m<version>-<base32>@aliasDomain>}: Outlook threads on it, no host name shows. */
    public String messageId(String messageId, String aliasDomain) {
        return "<" + token("m", stripBrackets(messageId)) + "@" + aliasDomain.toLowerCase(Locale.ROOT) + ">";
    }

    /** The real Message-ID (with brackets) behind {@link #messageId}, or empty if it is not one of ours. */
    public Optional<String> revealMessageId(String tokenised) {
        String bare = stripBrackets(tokenised);
        int at = bare.lastIndexOf('@');
        if (at < 0) {
            return Optional.empty();
        }
        return reveal("m", bare.substring(0, at)).map(id -> "<" + id + ">");
    }

    /** The form under which addresses are pseudonymised: trimmed, without angle brackets, lower case. */
    public static String normaliseAddress(String address) {
        return stripBrackets(address.strip()).toLowerCase(Locale.ROOT);
    }

    private String ff1(String kind, String phone, int version, boolean encrypt) {
        checkKind(kind);
        int start = 0;
        String digitsOnly = digits(phone);
        if (phone.stripLeading().startsWith("+")) {
            start = countryCodeLength(digitsOnly);
        }
        if (digitsOnly.length() - start < FF1_MIN_DIGITS) {
            start = 0;
        }
        if (digitsOnly.length() < FF1_MIN_DIGITS || encrypt && !onlyPhoneSyntax(phone)) {
            // too few digits for FF1, or words beside the number ("0171 1234567 (Mobil Schmidtbauer)", "ext.
            // Hinterhaus"): FF1 would pass the words through, so the whole value becomes a token
            if (encrypt) {
                return token(kind, phone);
            }
            return phone;
        }
        byte[] in = new byte[digitsOnly.length() - start];
        for (int i = 0; i < in.length; i++) {
            in[i] = (byte) (digitsOnly.charAt(start + i) - '0');
        }
        byte[] tweak = (kind + ":" + digitsOnly.substring(0, start)).getBytes(StandardCharsets.US_ASCII);
        byte[] out;
        if (in.length <= Ff1Decimal.MAX_DIGITS) {
            out = in;
            engines(version).ff1().process(encrypt, tweak, out); // the same FF1, about 50 times faster
        } else {
            out = new byte[in.length];
            FPEFF1Engine ff1 = new FPEFF1Engine();
            ff1.init(encrypt, new FPEParameters(new KeyParameter(engines(version).ff1Key), 10, tweak));
            ff1.processBlock(in, 0, in.length, out, 0);
        }
        StringBuilder result = new StringBuilder(phone.length());
        int digit = 0;
        for (int i = 0; i < phone.length(); i++) {
            char c = phone.charAt(i);
            if (c >= '0' && c <= '9') {
                result.append(digit < start ? c : (char) ('0' + out[digit - start]));
                digit++;
            } else {
                result.append(c);
            }
        }
        return result.toString();
    }

    /** Digits and what numbers are written with: '+', spaces, '-', '.', '/', parentheses. Nothing that says more. */
    private static boolean onlyPhoneSyntax(String phone) {
        for (int i = 0; i < phone.length(); i++) {
            char c = phone.charAt(i);
            if (!(c >= '0' && c <= '9' || c == '+' || c == ' ' || c == '\t' || c == '-' || c == '.' || c == '/'
                    || c == '(' || c == ')' || c == '\u00a0')) {
                return false;
            }
        }
        return true;
    }

    private static String digits(String phone) {
        StringBuilder out = new StringBuilder(phone.length());
        for (int i = 0; i < phone.length(); i++) {
            char c = phone.charAt(i);
            if (c >= '0' && c <= '9') {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** ITU-T E.164 country codes are 1, 2 or 3 digits; which one is fixed by the leading digits. */
    static int countryCodeLength(String digits) {
        if (digits.isEmpty()) {
            return 0;
        }
        char first = digits.charAt(0);
        if (first == '1' || first == '7') {
            return 1;
        }
        if (digits.length() < 2) {
            return digits.length();
        }
        int two = Integer.parseInt(digits.substring(0, 2));
        boolean twoDigit = switch (two) {
            case 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57,
                    58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98 -> true;
            default -> false;
        };
        return twoDigit ? 2 : Math.min(3, digits.length());
    }

    private Engines engines(int version) {
        Map<Integer, Engines> mine = engines.get();
        Engines e = mine.get(version);
        if (e == null) {
            byte[] secret = secrets.get(version);
            if (secret == null) {
                throw new IllegalArgumentException("pseudonym key version " + version + " is not held");
            }
            e = new Engines(secret);
            mine.put(version, e);
        }
        return e;
    }

    private static int version(String token, int from, int to) {
        if (to - from > 4) {
            return -1;
        }
        int v = 0;
        for (int i = from; i < to; i++) {
            char c = token.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static void checkKind(String kind) {
        if (kind.isEmpty() || kind.length() > 3 || !kind.chars().allMatch(c -> c >= 'a' && c <= 'z')) {
            throw new IllegalArgumentException("a pseudonym kind is 1 to 3 lower-case letters, not \"" + kind + "\"");
        }
    }

    private static String stripBrackets(String s) {
        return s.length() >= 2 && s.charAt(0) == '<' && s.charAt(s.length() - 1) == '>' ? s.substring(1, s.length() - 1) : s;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** One thread's engines for one key version. */
    private static final class Engines {
        final AesSiv siv;
        final byte[] ff1Key;
        final SecretKeySpec gcmKey;
        final Mac mac;
        final Map<String, SecretKeySpec> macKeys = new HashMap<>();
        final byte[] secret;
        Cipher gcm;
        Ff1Decimal ff1;

        Ff1Decimal ff1() {
            if (ff1 == null) {
                ff1 = new Ff1Decimal(ff1Key);
            }
            return ff1;
        }

        Engines(byte[] secret) {
            this.secret = secret;
            this.siv = new AesSiv(derive(secret, "aes-siv", 64));
            this.ff1Key = derive(secret, "ff1", 32);
            this.gcmKey = new SecretKeySpec(derive(secret, "aes-gcm", 32), "AES");
            try {
                this.mac = Mac.getInstance("HmacSHA256");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is not available", e);
            }
        }

        byte[] mac(String purpose, String value) {
            return mac(purpose, value.getBytes(StandardCharsets.UTF_8));
        }

        byte[] mac(String purpose, byte[] value) {
            SecretKeySpec key = macKeys.computeIfAbsent(purpose, p -> new SecretKeySpec(derive(secret, "hmac:" + p, 32), "HmacSHA256"));
            try {
                mac.init(key);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            return mac.doFinal(value);
        }

        Cipher gcm(int mode, byte[] iv, String kind) throws GeneralSecurityException {
            if (gcm == null) {
                gcm = Cipher.getInstance("AES/GCM/NoPadding", Providers.JDK_AES);
            }
            gcm.init(mode, gcmKey, new GCMParameterSpec(128, iv));
            gcm.updateAAD(ascii(kind));
            return gcm;
        }

        private static byte[] derive(byte[] secret, String purpose, int length) {
            HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
            hkdf.init(new HKDFParameters(secret, SALT, ascii("veil " + purpose)));
            byte[] out = new byte[length];
            hkdf.generateBytes(out, 0, length);
            return out;
        }
    }
}
