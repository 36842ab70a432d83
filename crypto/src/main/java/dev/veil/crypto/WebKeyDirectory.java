package dev.veil.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/**
 * OpenPGP Web Key Directory lookup (draft-koch-openpgp-webkey-service): the key of {@code local@domain} is at
 * {@code https://openpgpkey.<domain>/.well-known/openpgpkey/<domain>/hu/<z-base-32 SHA-1 of the lower-case local
 * part>?l=<local>} (the "advanced" method), or else at {@code https://<domain>/.well-known/openpgpkey/hu/...}
 * (the "direct" method). HTTPS with certificate and host name checks, timeouts, a size limit.
 *
 * <p>A key found is stored with the imported external keys (so it is used from then on like one the admin
 * imported, and {@code veil keys list|remove} show and drop it), but only if it carries the address looked up: a
 * directory cannot plant keys for other addresses. Misses are remembered for a while so that a domain without a
 * directory does not cost a lookup per message.
 */
public final class WebKeyDirectory implements KeyDiscovery {
    private static final String ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769";
    private static final int MAX_KEY_BYTES = 256 * 1024;

    private final ExternalKeys store;
    private final HttpClient http;
    private final Duration timeout;
    private final int port;
    private final Duration missCacheTime;
    private final Clock clock;
    private final ConcurrentHashMap<String, Instant> misses = new ConcurrentHashMap<>();

    /**
     * @param port          443 in production; another port only for tests and proxies
     * @param missCacheTime how long "no key there" is believed
     */
    public WebKeyDirectory(ExternalKeys store, HttpClient http, Duration timeout, int port, Duration missCacheTime, Clock clock) {
        this.store = store;
        this.http = http;
        this.timeout = timeout;
        this.port = port;
        this.missCacheTime = missCacheTime;
        this.clock = clock;
    }

    /** A client that follows no redirects to plain HTTP and gives up after {@code timeout} connecting. */
    public static HttpClient defaultClient(Duration timeout) {
        return HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /**
     * The key published for the address, fetched now unless a recent lookup found nothing; stored on success.
     *
     * @return empty if neither method serves a usable key carrying the address (or the lookup failed: a directory
     *         that is down must not hold mail up when the policy has other keys to fall back on)
     */
    @Override
    public Optional<PGPPublicKeyRing> lookup(String address) throws KeyException {
        String normalised = Addresses.normalise(address);
        Instant missed = misses.get(normalised);
        if (missed != null && missed.plus(missCacheTime).isAfter(clock.instant())) {
            return Optional.empty();
        }
        int at = normalised.lastIndexOf('@');
        String local = normalised.substring(0, at);
        String domain = normalised.substring(at + 1);
        for (URI uri : List.of(advancedUri(local, domain), directUri(local, domain))) {
            Optional<byte[]> body = fetch(uri);
            if (body.isPresent()) {
                List<ImportedKey> results = store.importFromDirectory(normalised, body.get(), "WKD " + uri);
                if (results.stream().anyMatch(ImportedKey::stored)) {
                    misses.remove(normalised);
                    return store.openPgpKey(normalised);
                }
            }
        }
        misses.put(normalised, clock.instant());
        return Optional.empty();
    }

    /** The advanced method's URL. */
    URI advancedUri(String local, String domain) {
        return URI.create("https://openpgpkey." + domain + portPart() + "/.well-known/openpgpkey/" + domain + "/hu/"
                + hash(local) + "?l=" + URLEncoder.encode(local, StandardCharsets.UTF_8));
    }

    /** The direct method's URL. */
    URI directUri(String local, String domain) {
        return URI.create("https://" + domain + portPart() + "/.well-known/openpgpkey/hu/" + hash(local) + "?l="
                + URLEncoder.encode(local, StandardCharsets.UTF_8));
    }

    /** z-base-32 of the SHA-1 of the lower-cased local part: the file name WKD uses. */
    public static String hash(String localPart) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-1").digest(localPart.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder out = new StringBuilder(32);
        int buffer = 0;
        int bits = 0;
        for (byte b : digest) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(ZBASE32.charAt((buffer >>> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        return out.toString(); // 160 bits: exactly 32 characters
    }

    private String portPart() {
        return port == 443 ? "" : ":" + port;
    }

    private Optional<byte[]> fetch(URI uri) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200 || !"https".equals(response.uri().getScheme())) {
                    return Optional.empty();
                }
                byte[] bytes = body.readNBytes(MAX_KEY_BYTES + 1);
                return bytes.length == 0 || bytes.length > MAX_KEY_BYTES ? Optional.empty() : Optional.of(bytes);
            }
        } catch (IOException e) {
            return Optional.empty(); // no such host, refused, TLS failure, timeout: no key from there
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
