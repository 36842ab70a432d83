package dev.veil.gateway.auth;

import dev.veil.crypto.HeaderBlock;
import dev.veil.crypto.HeaderField;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.james.jdkim.api.BodyHasher;
import org.apache.james.jdkim.api.Headers;
import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.apache.james.jdkim.exceptions.TempFailException;

/**
 * DKIM verification (RFC 6376) with Apache jDKIM, one signature at a time so that each gets its own result (jDKIM
 * reports only the signatures that pass). Keys come from {@link DnsResolver}. At most {@link #MAX_SIGNATURES} are
 * checked: each costs a DNS lookup and a pass over the body, and a message does not get more trustworthy with more.
 * Ed25519 signatures (RFC 8463) are checked by {@link DkimVerifier}, which jDKIM alone cannot do, and which allows
 * senders' clocks some drift.
 * RFC 8301 is applied before jDKIM (which accepts both): an rsa-sha1 signature or an RSA key under 1024 bits is
 * {@code policy}, never pass (and so is a key in testing mode, {@code t=y}) — SHA-1 collisions and 512-bit keys are within an attacker's budget, and a pass would
 * carry DMARC for a domain whose mail anyone could then sign.
 */
public final class DkimChecker {
    static final int MAX_SIGNATURES = 5;
    /** RFC 8301 section 3.2: signers must use at least this many bits; smaller keys can be factored. */
    static final int MIN_RSA_BITS = 1024;
    private final PublicKeyRecordRetriever keys;

    public DkimChecker(DnsResolver dns) {
        this.keys = (method, selector, domain) -> {
            if (!"dns/txt".equalsIgnoreCase(method.toString())) {
                throw new PermFailException("key lookup method " + method + " is not supported");
            }
            try {
                List<String> records = dns.txt(selector + "._domainkey." + domain);
                if (records.isEmpty()) {
                    throw new PermFailException("no key for signature at " + selector + "._domainkey." + domain);
                }
                for (String record : records) {
                    if (java.util.Arrays.asList(tag(record, "t").replaceAll("\\s", "").split(":")).contains("y")) {
                        // RFC 6376 3.6.1: mail from a signer in testing mode is to be treated as unsigned, so its
                        // signature must not carry DMARC however well it verifies
                        throw new UnacceptableKeyException("the key at " + selector + "._domainkey." + domain
                                + " is in testing mode (t=y): treated as unsigned (RFC 6376 3.6.1)");
                    }
                    int bits = rsaBits(record);
                    if (bits > 0 && bits < MIN_RSA_BITS) {
                        throw new UnacceptableKeyException("RSA key of " + bits + " bits at " + selector + "._domainkey."
                                + domain + " is too small (RFC 8301: at least " + MIN_RSA_BITS + ")");
                    }
                }
                return records;
            } catch (DnsTemporaryException e) {
                throw new TempFailException(e.getMessage());
            }
        };
    }

    /** The result of one DKIM-Signature: its d= and s=, the start of b= (RFC 6008), and why it failed. */
    public record Result(Status status, String domain, String selector, String signatureStart, String reason) {
    }

    /** RFC 8601 dkim results; POLICY: the signature may verify but its algorithm or key is not acceptable. */
    public enum Status {
        PASS, FAIL, NEUTRAL, POLICY, TEMPERROR, PERMERROR;

        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One body stream per signature: the message's body, from the first byte after the header. */
    @FunctionalInterface
    public interface BodySource {
        InputStream open() throws IOException;
    }

    /** Every DKIM-Signature of the message (up to the limit), in header order. Empty: the message is unsigned. */
    public List<Result> verify(HeaderBlock header, BodySource body) throws IOException {
        List<HeaderField> signatures = header.all("DKIM-Signature");
        List<Result> results = new ArrayList<>();
        for (HeaderField signature : signatures.subList(0, Math.min(signatures.size(), MAX_SIGNATURES))) {
            results.add(verifyOne(header, signature, body));
        }
        return results;
    }

    private Result verifyOne(HeaderBlock header, HeaderField signature, BodySource body) throws IOException {
        String value = text(signature);
        String domain = tag(value, "d");
        String selector = tag(value, "s");
        String b = tag(value, "b").replaceAll("\\s", "");
        String start = b.length() > 8 ? b.substring(0, 8) : b;
        if (tag(value, "a").equalsIgnoreCase("rsa-sha1")) { // RFC 8301 section 3.1: must not be used for verifying
            return new Result(Status.POLICY, domain, selector, start, "rsa-sha1 is not accepted (RFC 8301)");
        }
        DkimVerifier verifier = new DkimVerifier(keys);
        OneSignature headers = new OneSignature(header, signature);
        try {
            if (DkimVerifier.isEd25519(tag(value, "a"))) {
                verifier.verifyEd25519(value, headers, body); // throws unless it verifies
                return new Result(Status.PASS, domain, selector, start, "");
            }
            BodyHasher hasher = verifier.newBodyHasher(headers);
            if (hasher == null) {
                return new Result(Status.PERMERROR, domain, selector, start, "signature could not be parsed");
            }
            try (InputStream in = body.open()) {
                in.transferTo(hasher.getOutputStream());
            } finally {
                hasher.getOutputStream().close();
            }
            List<SignatureRecord> passed = verifier.verify(hasher);
            return passed == null || passed.isEmpty()
                    ? new Result(Status.FAIL, domain, selector, start, "signature did not verify")
                    : new Result(Status.PASS, domain, selector, start, "");
        } catch (TempFailException e) {
            return new Result(Status.TEMPERROR, domain, selector, start, reason(e));
        } catch (UnacceptableKeyException e) {
            return new Result(Status.POLICY, domain, selector, start, reason(e));
        } catch (PermFailException e) {
            // RFC 8601 2.7.1: "fail" is for a signature that was acceptable and was checked, and did not match; one
            // that cannot be checked at all (a malformed record, h= without From, a date in the future, no usable
            // key) is "permerror". Neither passes, so DMARC is the same.
            return new Result(didNotMatch(e) ? Status.FAIL : Status.PERMERROR, domain, selector, start, reason(e));
        } catch (FailException | RuntimeException e) {
            return new Result(Status.PERMERROR, domain, selector, start, reason(e));
        }
    }

    /**
     * A key record not to be trusted: too weak (RFC 8301) or in testing mode (RFC 6376 3.6.1); told apart from a
     * signature that does not verify.
     */
    static final class UnacceptableKeyException extends PermFailException {
        UnacceptableKeyException(String message) {
            super(message);
        }
    }

    /** The modulus length of a record's RSA key; 0 when it is not one (other k=, revoked, unreadable: jDKIM judges). */
    static int rsaBits(String record) {
        String k = tag(record, "k");
        String p = tag(record, "p").replaceAll("\\s", "");
        if (!(k.isEmpty() || k.equalsIgnoreCase("rsa")) || p.isEmpty()) {
            return 0;
        }
        try {
            java.security.PublicKey key = java.security.KeyFactory.getInstance("RSA")
                    .generatePublic(new java.security.spec.X509EncodedKeySpec(java.util.Base64.getDecoder().decode(p)));
            return key instanceof java.security.interfaces.RSAPublicKey rsa ? rsa.getModulus().bitLength() : 0;
        } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
            return 0;
        }
    }

    /**
     * Whether jDKIM (or the Ed25519 check, which says the same) checked the signature and it did not match: the header
     * signature or the body hash, or signature bytes that are not a signature of this key's size. jDKIM throws one
     * exception type for everything, so its messages tell these apart from a signature it could not check.
     */
    static boolean didNotMatch(PermFailException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (message.startsWith("Header signature does not verify")
                || message.startsWith("Computed bodyhash is different from the expected one")) {
            return true;
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof java.security.SignatureException) {
                return true;
            }
        }
        return false;
    }

    private static String reason(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** A tag's value in a tag=value list ("" when absent), whitespace removed at its ends. */
    static String tag(String list, String name) {
        for (String part : list.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).strip().equalsIgnoreCase(name)) {
                return part.substring(eq + 1).strip();
            }
        }
        return "";
    }

    /** The field as jDKIM's own parser gives it: raw, folding kept, without the final line break. */
    static String text(HeaderField field) {
        byte[] raw = field.raw();
        int end = raw.length;
        while (end > 0 && (raw[end - 1] == '\n' || raw[end - 1] == '\r')) {
            end--;
        }
        // jDKIM turns the text back into bytes with the default charset; decoding with it keeps 8-bit bytes intact
        return new String(raw, 0, end, Charset.defaultCharset());
    }

    /** The message's header as jDKIM sees it, showing only one of its DKIM-Signature fields. */
    private static final class OneSignature implements Headers {
        private final HeaderBlock header;
        private final HeaderField signature;

        OneSignature(HeaderBlock header, HeaderField signature) {
            this.header = header;
            this.signature = signature;
        }

        @Override
        public List<String> getFields() {
            return header.fields().stream().map(DkimChecker::text).toList();
        }

        @Override
        public List<String> getFields(String name) {
            if (name.equalsIgnoreCase("DKIM-Signature")) {
                return List.of(text(signature));
            }
            return header.all(name).stream().map(DkimChecker::text).toList();
        }
    }
}
