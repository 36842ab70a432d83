package dev.veil.gateway.auth;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import dev.veil.crypto.RsaSigningKey;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * ARC sealing (RFC 8617): adds the next ARC set — ARC-Authentication-Results (the verdict), ARC-Message-Signature
 * (over the header fields that matter and the body, like a DKIM signature) and ARC-Seal (over every ARC set) — with
 * rsa-sha256 and relaxed/relaxed, keeping the sets already there. The chain validation status {@code cv=} of the new
 * seal is {@code none} for the first set; otherwise the existing chain is validated here (its seals and its latest
 * message signature, keys from DNS) and the result recorded, so a broken chain is never vouched for.
 */
public final class ArcSealer {
    /** RFC 8617 section 4.2.1: more sets than this make the chain fail. */
    static final int MAX_INSTANCES = 50;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ArcSealer.class);
    /** The fields the message signature covers when present (every occurrence), in this order. */
    static final List<String> SIGNED_FIELDS = List.of("from", "to", "cc", "subject", "date", "message-id",
            "in-reply-to", "references", "reply-to", "sender", "mime-version", "content-type",
            "content-transfer-encoding", "content-disposition", "dkim-signature", "authentication-results");
    private static final Set<String> SIGNED_NAMES = Set.copyOf(SIGNED_FIELDS);

    /**
     * A message is read once for sealing, at any size: the header through a buffer of this size, then the body in
     * chunks of up to {@link #MAX_CHUNK} (no larger than the message), which pass the header's buffer by. Reading a
     * small message whole allocated its size again per message (70 KB at 50 KB of content once encrypted), and larger
     * ones were opened twice.
     */
    private static final int HEADER_BUFFER = 8 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;

    private final RsaSigningKey key;
    private final String domain;
    private final String selector;
    private final String authservId;
    private final DnsResolver dns;

    /**
     * @param dns for the keys of the sealers before us (null: existing chains are not validated and fail)
     */
    public ArcSealer(RsaSigningKey key, String domain, String selector, String authservId, DnsResolver dns) {
        this.key = key;
        this.domain = domain;
        this.selector = selector;
        this.authservId = authservId;
        this.dns = dns;
    }

    /** The chain status of a message: its instance count and whether what is there validates. */
    public record Chain(int instances, String status) {
    }

    /**
     * Writes {@code message} to {@code out} with a new ARC set (and {@code extraFields} — complete fields ending in
     * CRLF — above the old header, covered by the new signature).
     *
     * @param results the verdict's method results for ARC-Authentication-Results (empty: "none")
     * @return the chain as it was before the new set
     */
    public Chain seal(Path message, Path out, List<String> results, List<String> extraFields, Instant now)
            throws IOException, DnsTemporaryException {
        return seal(message, out, results, header -> extraFields, now);
    }

    /**
     * As above, with the extra fields chosen from the message's header as read here (so that a caller need not read
     * it once more to decide them).
     */
    public Chain seal(Path message, Path out, List<String> results, Function<HeaderBlock, List<String>> extraFields,
                      Instant now) throws IOException, DnsTemporaryException {
        Sealed sealed = sealFields(message, results, extraFields, now);
        Path source = message;
        Path tidy = null;
        try {
            if (sealed.spaceBeforeColon()) {
                tidy = Files.createTempFile(out.toAbsolutePath().getParent(), "arc-tidy", ".eml");
                tidyFieldNames(message, tidy);
                source = tidy;
                sealed = sealFields(tidy, results, extraFields, now);
            }
            try (OutputStream target = Files.newOutputStream(out)) {
                target.write(sealed.fields());
                Files.copy(source, target);
            }
        } finally {
            if (tidy != null) {
                Files.deleteIfExists(tidy);
            }
        }
        return sealed.before();
    }

    /**
     * Writes {@code message} with every field's name right before its colon ({@code From :} becomes {@code From:}).
     * Relaxed canonicalisation (RFC 6376 3.4.2) reads both alike, so no relaxed signature on the message changes; but
     * python3-dkim refuses the obsolete form, and failed Veil's seal of such a message (a black-box probe), so a
     * message that has it is sealed in the form RFC 5322 3.6.8 writes.
     */
    public static void tidyFieldNames(Path message, Path out) throws IOException {
        HeaderRewrite.write(message, out, List.of(),
                field -> field.spaceBeforeColon() ? field.withoutSpaceBeforeColon() : field.raw());
    }

    /**
     * The new ARC set (and the extra fields) for {@code message}, to be put above its header as they are: the message
     * is sealed as the fields followed by its bytes, unchanged.
     *
     * @param fields           complete header fields, each ending in CRLF
     * @param before           the chain as it was before the new set
     * @param spaceBeforeColon a field of the message has white space before its colon: nothing was signed ({@code
     *                         fields} is empty, {@code before} the chain given as arrived), and the caller is to seal
     *                         the message again after {@link #tidyFieldNames}
     */
    public record Sealed(byte[] fields, Chain before, boolean spaceBeforeColon) {
    }

    /** Computes the fields {@link #seal} puts on top, without writing the message again. */
    public Sealed sealFields(Path message, List<String> results, Function<HeaderBlock, List<String>> extraFields,
                             Instant now) throws IOException, DnsTemporaryException {
        return sealFields(message, results, extraFields, null, now);
    }

    /**
     * The status of the ARC chain {@code message} carries ({@code none} without ARC sets, and then the body is not
     * read): for a step that is about to change the message, so that the seal judges the chain as it arrived.
     */
    public Chain chainOf(Path message) throws IOException, DnsTemporaryException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(message), HEADER_BUFFER)) {
            HeaderBlock header = HeaderBlock.read(in);
            if (sets(header.fields()).isEmpty()) {
                return new Chain(0, "none");
            }
            byte[] consumed = header.consumed();
            byte[] bodyHash = bodyHash(new SequenceInputStream(new ByteArrayInputStream(consumed, header.bodyOffset(),
                    consumed.length - header.bodyOffset()), in), HEADER_BUFFER);
            return validate(header.fields(), bodyHash);
        }
    }

    /**
     * As above, with {@code arrived}: the chain as it arrived, judged ({@link #chainOf}) before Veil changed the message
     * (its own Subject tag breaks the signature of a forwarder who signed Subject); used while the message still
     * carries those sets, or null to judge the chain here.
     */
    public Sealed sealFields(Path message, List<String> results, Function<HeaderBlock, List<String>> extraFields,
                             Chain arrived, Instant now) throws IOException, DnsTemporaryException {
        HeaderBlock original;
        byte[] bodyHash;
        int chunk = (int) Math.min(MAX_CHUNK, Math.max(HEADER_BUFFER, Files.size(message)));
        try (InputStream in = new BufferedInputStream(Files.newInputStream(message), HEADER_BUFFER)) {
            original = HeaderBlock.read(in);
            // what the header reader took beyond the header's end is the body's start; the stream has the rest
            byte[] consumed = original.consumed();
            bodyHash = bodyHash(new SequenceInputStream(new ByteArrayInputStream(consumed, original.bodyOffset(),
                    consumed.length - original.bodyOffset()), in), chunk);
        }
        for (HeaderField field : original.fields()) {
            if (field.spaceBeforeColon()) {
                return new Sealed(new byte[0], arrived, true); // nothing signed: to be sealed again once tidied
            }
        }
        NewSet set = newSet(original, bodyHash, results, extraFields.apply(original), arrived, now);
        return new Sealed(String.join("", set.fields()).getBytes(StandardCharsets.UTF_8), set.before(), false);
    }

    /** The fields to put on top of the header, and the chain as it was before them. */
    private record NewSet(List<String> fields, Chain before) {
    }

    /** The new ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results, then the extra fields. */
    private NewSet newSet(HeaderBlock original, byte[] bodyHash, List<String> results, List<String> extraFields,
                          Chain arrived, Instant now) throws IOException, DnsTemporaryException {
        List<HeaderField> fields = new ArrayList<>();
        for (String extra : extraFields) {
            fields.addAll(HeaderBlock.parse((extra + "\r\n").getBytes(StandardCharsets.UTF_8)).fields());
        }
        fields.addAll(original.fields());
        TreeMap<Integer, ArcSet> carried = sets(fields);
        Chain chain = carried.isEmpty() ? new Chain(0, "none")
                : arrived != null && arrived.instances() > 0 ? arrived : validate(fields, bodyHash);
        if (chain.instances() >= MAX_INSTANCES) {
            // no instance may follow the 50th (RFC 8617 4.2.1): the message goes on without Veil's set rather than
            // waiting, every retry, for a condition that cannot clear; the Authentication-Results copy still goes
            LOG.warn("the message already carries {} ARC sets: it is relayed without a new one", chain.instances());
            return new NewSet(withLineEnds(new ArrayList<>(), extraFields), chain);
        }
        int instance = chain.instances() + 1;
        long t = now.getEpochSecond();

        String aar = AuthenticationResults.arcField(instance, authservId, results.isEmpty() ? List.of("none") : results);

        List<HeaderField> signed = signedFields(fields);
        StringBuilder h = new StringBuilder();
        for (HeaderField f : signed) {
            h.append(h.length() == 0 ? "" : ":").append(f.name().toLowerCase(Locale.ROOT));
        }
        String amsUnsigned = "ARC-Message-Signature: i=" + instance + "; a=rsa-sha256; c=relaxed/relaxed;\r\n\td="
                + domain + "; s=" + selector + "; t=" + t + ";\r\n\th=" + h + ";\r\n\tbh="
                + Base64.getEncoder().encodeToString(bodyHash) + ";\r\n\tb=";
        ByteArrayOutputStream amsInput = new ByteArrayOutputStream();
        for (HeaderField f : signed) {
            amsInput.write(Canonical.header(f.raw(), true));
        }
        amsInput.write(Canonical.header(amsUnsigned.getBytes(StandardCharsets.UTF_8), false));
        String ams = amsUnsigned + sign(amsInput.toByteArray()) + "\r\n";

        String cv = instance == 1 ? "none" : chain.status();
        String asUnsigned = "ARC-Seal: i=" + instance + "; a=rsa-sha256; t=" + t + "; cv=" + cv + ";\r\n\td=" + domain
                + "; s=" + selector + ";\r\n\tb=";
        ByteArrayOutputStream asInput = new ByteArrayOutputStream();
        // RFC 8617 5.1.2: the seal of a broken chain covers only the set it belongs to, "as if this newest ARC Set
        // was the only set present" (an incomplete earlier set has no three fields to cover)
        TreeMap<Integer, ArcSet> sets = cv.equals("fail") ? new TreeMap<>() : sets(fields);
        for (ArcSet set : sets.values()) {
            asInput.write(Canonical.header(set.aar.raw(), true));
            asInput.write(Canonical.header(set.ams.raw(), true));
            asInput.write(Canonical.header(set.seal.raw(), true));
        }
        asInput.write(Canonical.header(aar.getBytes(StandardCharsets.UTF_8), true));
        asInput.write(Canonical.header(ams.getBytes(StandardCharsets.UTF_8), true));
        asInput.write(Canonical.header(asUnsigned.getBytes(StandardCharsets.UTF_8), false));
        String seal = asUnsigned + sign(asInput.toByteArray()) + "\r\n";

        return new NewSet(withLineEnds(new ArrayList<>(List.of(seal, ams, aar)), extraFields), chain);
    }

    /** {@code fields} with each of {@code extraFields} added, ending in CRLF. */
    private static List<String> withLineEnds(List<String> fields, List<String> extraFields) {
        for (String extra : extraFields) {
            fields.add(extra.endsWith("\r\n") ? extra : extra + "\r\n");
        }
        return fields;
    }

    /** Every occurrence of the fields in {@link #SIGNED_FIELDS}, bottom-most first per name, as DKIM picks them. */
    static List<HeaderField> signedFields(List<HeaderField> fields) {
        // one pass over the header (not one per name): each field goes to its name's list, bottom-most first
        Map<String, List<HeaderField>> byName = new HashMap<>();
        for (int i = fields.size() - 1; i >= 0; i--) {
            HeaderField f = fields.get(i);
            String name = f.name().toLowerCase(Locale.ROOT);
            if (SIGNED_NAMES.contains(name)) {
                byName.computeIfAbsent(name, n -> new ArrayList<>()).add(f);
            }
        }
        List<HeaderField> signed = new ArrayList<>();
        for (String name : SIGNED_FIELDS) {
            signed.addAll(byName.getOrDefault(name, List.of()));
        }
        return signed;
    }

    private String sign(byte[] data) {
        return Base64.getEncoder().encodeToString(key.signSha256(data));
    }

    /** SHA-256 of the relaxed canonical form of the body {@code in} gives (RFC 6376 section 3.4.4). */
    static byte[] bodyHash(InputStream body) throws IOException {
        return bodyHash(body, HEADER_BUFFER);
    }

    /** @param chunk how much is read at a time */
    private static byte[] bodyHash(InputStream body, int chunk) throws IOException {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        Canonical.BodyStream canonical =
                new Canonical.BodyStream(new DigestOutputStream(OutputStream.nullOutputStream(), sha256));
        byte[] buffer = new byte[chunk];
        for (int n; (n = body.read(buffer)) >= 0; ) {
            canonical.write(buffer, 0, n);
        }
        canonical.close();
        return sha256.digest();
    }

    /** One instance's three fields. */
    private static final class ArcSet {
        HeaderField aar;
        HeaderField ams;
        HeaderField seal;
        int count;
    }

    private static TreeMap<Integer, ArcSet> sets(List<HeaderField> fields) {
        TreeMap<Integer, ArcSet> sets = new TreeMap<>();
        for (HeaderField f : fields) {
            boolean aar = f.is("ARC-Authentication-Results");
            boolean ams = f.is("ARC-Message-Signature");
            boolean seal = f.is("ARC-Seal");
            if (!aar && !ams && !seal) {
                continue;
            }
            int i = instance(f);
            ArcSet set = sets.computeIfAbsent(i, k -> new ArcSet());
            set.count++;
            if (aar) {
                set.aar = f;
            } else if (ams) {
                set.ams = f;
            } else {
                set.seal = f;
            }
        }
        return sets;
    }

    /** The i= of an ARC field; -1 when missing or not a number. */
    static int instance(HeaderField f) {
        String value = f.value();
        String first = value.split(";", 2)[0].strip();
        if (!first.toLowerCase(Locale.ROOT).startsWith("i=")) {
            String tag = DkimChecker.tag(value, "i");
            first = tag.isEmpty() ? "" : "i=" + tag;
        }
        try {
            return first.isEmpty() ? -1 : Integer.parseInt(first.substring(2).strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** RFC 8617 section 5.2: the status of the chain that arrived. */
    Chain validate(List<HeaderField> fields, byte[] bodyHash) throws IOException, DnsTemporaryException {
        TreeMap<Integer, ArcSet> sets = sets(fields);
        if (sets.isEmpty()) {
            return new Chain(0, "none");
        }
        int n = sets.lastKey();
        if (sets.firstKey() != 1 || sets.size() != n || n > MAX_INSTANCES) {
            return new Chain(Math.max(n, sets.size()), "fail");
        }
        for (ArcSet set : sets.values()) {
            if (set.count != 3 || set.aar == null || set.ams == null || set.seal == null) {
                return new Chain(n, "fail");
            }
        }
        long now = java.time.Instant.now().getEpochSecond();
        for (ArcSet set : sets.values()) {
            if (malformed(set, now)) {
                return new Chain(n, "fail");
            }
        }
        String lastCv = DkimChecker.tag(sets.get(n).seal.value(), "cv").toLowerCase(Locale.ROOT);
        if (lastCv.equals("fail") || dns == null) {
            return new Chain(n, "fail");
        }
        for (int i = 1; i <= n; i++) {
            String cv = DkimChecker.tag(sets.get(i).seal.value(), "cv").toLowerCase(Locale.ROOT);
            if (i == 1 ? !cv.equals("none") : !cv.equals("pass")) {
                return new Chain(n, "fail");
            }
        }
        if (!messageSignatureVerifies(sets.get(n).ams, fields, bodyHash)) {
            return new Chain(n, "fail");
        }
        for (int i = n; i >= 1; i--) {
            if (!sealVerifies(sets, i)) {
                return new Chain(n, "fail");
            }
        }
        return new Chain(n, "pass");
    }

    /**
     * A set that independent validators (dkimpy's {@code arcverify}) reject whatever its signatures say: an ARC-Seal
     * with an {@code h=} tag (RFC 8617 4.1.3: the seal covers the ARC sets, never chosen fields), a message signature
     * that covers ARC-Seal (4.1.2), or an {@code x=} expiry that is not a number or has passed. Found by a black-box
     * probe: Veil sealed cv=pass over such chains, and Exchange would have been handed a chain that fails as a whole,
     * Veil's own verdict with it.
     */
    private static boolean malformed(ArcSet set, long now) {
        if (hasTag(set.seal.value(), "h")) {
            return true;
        }
        for (String name : DkimChecker.tag(set.ams.value(), "h").split(":")) {
            if (name.strip().equalsIgnoreCase("ARC-Seal")) {
                return true;
            }
        }
        for (HeaderField f : List.of(set.seal, set.ams)) {
            if (hasTag(f.value(), "x")) {
                String x = DkimChecker.tag(f.value(), "x").replaceAll("\\s", "");
                // more than 18 digits is past any clock (a probe's far-future x= was taken for expired)
                if (!x.matches("[0-9]+") || x.length() <= 18 && Long.parseLong(x) < now) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether the tag list {@code value} has a tag {@code name}, with any value. */
    private static boolean hasTag(String value, String name) {
        for (String part : value.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).strip().equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** @param bodyHash the body's relaxed SHA-256 hash: the only kind of message signature that is checked */
    private boolean messageSignatureVerifies(HeaderField ams, List<HeaderField> fields, byte[] bodyHash)
            throws IOException, DnsTemporaryException {
        String value = ams.value();
        if (!DkimChecker.tag(value, "a").equalsIgnoreCase("rsa-sha256")
                || !DkimChecker.tag(value, "c").equalsIgnoreCase("relaxed/relaxed")) {
            return false; // the only combination Veil checks; a chain using others is not vouched for
        }
        byte[] expectedBodyHash;
        try {
            expectedBodyHash = Base64.getDecoder().decode(DkimChecker.tag(value, "bh").replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (!MessageDigest.isEqual(expectedBodyHash, bodyHash)) {
            return false;
        }
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        Set<HeaderField> used = new java.util.HashSet<>();
        for (String name : DkimChecker.tag(value, "h").split(":")) {
            String n = name.strip();
            List<HeaderField> named = fields.stream().filter(f -> f.is(n) && !used.contains(f)).toList();
            if (!named.isEmpty()) {
                HeaderField pick = named.get(named.size() - 1);
                used.add(pick);
                input.write(Canonical.header(pick.raw(), true));
            }
        }
        input.write(Canonical.header(Canonical.withoutSignature(ams.raw()), false));
        return verify(value, input.toByteArray());
    }

    private boolean sealVerifies(TreeMap<Integer, ArcSet> sets, int upTo) throws IOException, DnsTemporaryException {
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        for (int i = 1; i <= upTo; i++) {
            ArcSet set = sets.get(i);
            input.write(Canonical.header(set.aar.raw(), true));
            input.write(Canonical.header(set.ams.raw(), true));
            input.write(i == upTo ? Canonical.header(Canonical.withoutSignature(set.seal.raw()), false)
                    : Canonical.header(set.seal.raw(), true));
        }
        return verify(sets.get(upTo).seal.value(), input.toByteArray());
    }

    private boolean verify(String tags, byte[] data) throws DnsTemporaryException {
        String d = DkimChecker.tag(tags, "d");
        String s = DkimChecker.tag(tags, "s");
        if (d.isEmpty() || s.isEmpty() || !DkimChecker.tag(tags, "a").equalsIgnoreCase("rsa-sha256")) {
            return false;
        }
        for (String record : dns.txt(s + "._domainkey." + d)) {
            String p = DkimChecker.tag(record, "p").replaceAll("\\s", "");
            if (p.isEmpty()) {
                continue;
            }
            try {
                PublicKey publicKey = KeyFactory.getInstance("RSA")
                        .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(p)));
                Signature signature = Signature.getInstance("SHA256withRSA");
                signature.initVerify(publicKey);
                signature.update(data);
                if (signature.verify(Base64.getDecoder().decode(DkimChecker.tag(tags, "b").replaceAll("\\s", "")))) {
                    return true;
                }
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // not a usable RSA key or signature: try the next record
            }
        }
        return false;
    }
}
