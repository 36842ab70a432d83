package dev.veil.crypto;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.pkcs.PKCS12PfxPdu;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * Reads the public keys in a file an admin wants to import, whatever its form: PEM certificates (several),
 * DER X.509, PKCS#7 bundles (DER or PEM), ASCII-armored or binary OpenPGP public key rings (several) and bare
 * OpenPGP key revocation certificates ({@code gpg --gen-revoke}). Files with
 * private key material are refused as a whole: public keys only go into the external store.
 */
final class ExternalKeyFiles {
    static final String PRIVATE_KEY_REFUSAL = "this file contains a private key; import only public keys";
    /**
     * A PKCS#12 file may hold certificates only ({@code openssl pkcs12 -export -nokeys}), but what it holds is
     * encrypted under its password: it is refused without claiming a private key, saying how to take the
     * certificate out.
     */
    static final String PKCS12_REFUSAL = "this file is PKCS#12, a password-protected container for private keys and"
            + " certificates; import the certificate alone (openssl pkcs12 -in FILE -nokeys -out certificate.pem)";

    private static final Pattern PGP_ARMOR = Pattern.compile(
            "-----BEGIN PGP ([A-Z0-9 ,/]+)-----\r?\n.*?-----END PGP \\1-----", Pattern.DOTALL);

    private ExternalKeyFiles() {
    }

    /** What a file holds: certificates, public key rings and bare key revocation signatures, in file order. */
    record Contents(List<X509Certificate> certificates, List<PGPPublicKeyRing> rings, List<PGPSignature> revocations) {
    }

    /**
     * Everything importable in {@code content}.
     *
     * @throws KeyException if the file holds a private key, or nothing importable (with what it found instead)
     */
    static Contents read(byte[] content, String source) throws KeyException {
        if (content.length >= 3 && (content[0] & 0xff) == 0xEF && (content[1] & 0xff) == 0xBB && (content[2] & 0xff) == 0xBF) {
            // a UTF-8 byte order mark, as Windows editors save text: openssl reads such PEM; unstripped, its high bit
            // made the text look like binary OpenPGP data
            content = Arrays.copyOfRange(content, 3, content.length);
        }
        if (content.length == 0) {
            throw new KeyException(source + " is empty");
        }
        List<X509Certificate> certificates = new ArrayList<>();
        List<PGPPublicKeyRing> rings = new ArrayList<>();
        List<PGPSignature> revocations = new ArrayList<>();
        Set<String> notes = new LinkedHashSet<>();
        int first = content[0] & 0xff;
        if (content.length > 1 && first == 0x30 && (content[1] & 0x80) != 0) {
            readDer(content, certificates, notes);
        } else if ((first & 0x80) != 0) {
            readPgp(content, rings, revocations, notes, source);
        } else {
            String text = new String(content, StandardCharsets.ISO_8859_1);
            if (text.contains("-----BEGIN PGP ")) {
                readArmoredPgp(text, rings, revocations, notes, source);
            }
            if (text.replaceAll("(?s)-----BEGIN PGP .*?-----END PGP [A-Z0-9 ,/]+-----", "").contains("-----BEGIN ")) {
                readPem(text, certificates, notes, source);
            }
            if (!text.contains("-----BEGIN ")) {
                notes.add("no PEM or OpenPGP armor found, and it is not DER or binary OpenPGP data");
            }
        }
        if (certificates.isEmpty() && rings.isEmpty() && revocations.isEmpty()) {
            throw new KeyException("nothing to import in " + source + (notes.isEmpty() ? "" : ": " + String.join("; ", notes)));
        }
        return new Contents(certificates, rings, revocations);
    }

    private static void readDer(byte[] der, List<X509Certificate> certificates, Set<String> notes) throws KeyException {
        try {
            // The JDK reads one DER certificate as well as a PKCS#7 (certs-only) bundle.
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(der))) {
                certificates.add((X509Certificate) certificate);
            }
            if (certificates.isEmpty()) {
                notes.add("a PKCS#7 structure without certificates");
            }
            return;
        } catch (CertificateException | RuntimeException notCertificates) {
            // try the private key containers next, to refuse them by name
        }
        if (isPkcs12(der)) {
            throw new KeyException(PKCS12_REFUSAL);
        }
        if (isPkcs8(der)) {
            throw new KeyException(PRIVATE_KEY_REFUSAL);
        }
        notes.add("DER data that is neither an X.509 certificate nor a PKCS#7 bundle");
    }

    private static boolean isPkcs12(byte[] der) {
        try {
            new PKCS12PfxPdu(der);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean isPkcs8(byte[] der) {
        try {
            return PrivateKeyInfo.getInstance(der) != null;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void readPem(String text, List<X509Certificate> certificates, Set<String> notes, String source)
            throws KeyException {
        try (PemReader pem = new PemReader(new StringReader(text))) {
            PemObject object;
            while ((object = pem.readPemObject()) != null) {
                String type = object.getType().toUpperCase(Locale.ROOT);
                if (type.contains("PRIVATE KEY")) {
                    throw new KeyException(PRIVATE_KEY_REFUSAL);
                }
                switch (type) {
                    case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE", "PKCS7", "CMS" -> {
                        try {
                            CertificateFactory factory = CertificateFactory.getInstance("X.509");
                            ByteArrayInputStream der = new ByteArrayInputStream(object.getContent());
                            if (type.equals("TRUSTED CERTIFICATE")) {
                                // openssl x509 -trustout: the certificate, then OpenSSL's own trust settings, which
                                // are no certificate (read as one, they fail the whole block); only the first counts
                                certificates.add((X509Certificate) factory.generateCertificate(der));
                            } else {
                                for (Certificate certificate : factory.generateCertificates(der)) {
                                    certificates.add((X509Certificate) certificate);
                                }
                            }
                        } catch (CertificateException | RuntimeException e) {
                            notes.add("an unreadable " + type + " block (" + e.getMessage() + ")");
                        }
                    }
                    case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST" ->
                            notes.add("a certificate request: ask for the issued certificate instead");
                    case "PUBLIC KEY", "RSA PUBLIC KEY" ->
                            notes.add("a bare public key: S/MIME needs the certificate (it names the address)");
                    default -> notes.add("a PEM block of type " + type + ", which is not a certificate");
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new KeyException(source + " has a damaged PEM block: " + e.getMessage(), e);
        }
    }

    private static void readArmoredPgp(String text, List<PGPPublicKeyRing> rings, List<PGPSignature> revocations,
                                       Set<String> notes, String source)
            throws KeyException {
        Matcher blocks = PGP_ARMOR.matcher(text);
        boolean any = false;
        while (blocks.find()) {
            any = true;
            String type = blocks.group(1);
            if (type.equals("PRIVATE KEY BLOCK") || type.equals("SECRET KEY BLOCK")) {
                throw new KeyException(PRIVATE_KEY_REFUSAL);
            }
            if (!type.equals("PUBLIC KEY BLOCK")) {
                notes.add("an OpenPGP " + type.toLowerCase(Locale.ROOT) + ", which is not a key");
                continue;
            }
            byte[] armored = blocks.group().getBytes(StandardCharsets.ISO_8859_1);
            try (ArmoredInputStream in = new ArmoredInputStream(new ByteArrayInputStream(armored))) {
                readPgp(in.readAllBytes(), rings, revocations, notes, source);
            } catch (IOException e) {
                throw new KeyException(source + " has a damaged OpenPGP armor block: " + e.getMessage(), e);
            }
        }
        if (!any) {
            notes.add("an OpenPGP armor line without a matching END line");
        }
    }

    private static void readPgp(byte[] binary, List<PGPPublicKeyRing> rings, List<PGPSignature> revocations,
                                Set<String> notes, String source)
            throws KeyException {
        try (InputStream in = new ByteArrayInputStream(binary)) {
            PGPObjectFactory objects = new PGPObjectFactory(in, new BcKeyFingerprintCalculator());
            Object object;
            while ((object = objects.nextObject()) != null) {
                if (object instanceof PGPPublicKeyRing ring) {
                    rings.add(ring);
                } else if (object instanceof PGPSecretKeyRing || object instanceof PGPSecretKey) {
                    throw new KeyException(PRIVATE_KEY_REFUSAL);
                } else if (object instanceof PGPSignatureList signatures) {
                    for (PGPSignature signature : signatures) {
                        if (signature.getSignatureType() == PGPSignature.KEY_REVOCATION) {
                            revocations.add(signature);
                        } else {
                            notes.add("an OpenPGP signature of type 0x" + Integer.toHexString(signature.getSignatureType())
                                    + ", which is neither a key nor a key revocation certificate");
                        }
                    }
                } else if (!(object instanceof PGPMarker)) {
                    notes.add("OpenPGP data that is not a key (" + object.getClass().getSimpleName() + ")");
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new KeyException(source + " has damaged or unsupported OpenPGP data: " + e.getMessage(), e);
        }
    }

    /** Reads an S/MIME file of the store (one PEM certificate). */
    static X509Certificate readStoredCertificate(byte[] content) throws IOException {
        try (PemReader pem = new PemReader(new InputStreamReader(new ByteArrayInputStream(content), StandardCharsets.US_ASCII))) {
            PemObject object = pem.readPemObject();
            if (object == null || !"CERTIFICATE".equals(object.getType())) {
                throw new IOException("expected a CERTIFICATE block");
            }
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(object.getContent()));
        } catch (CertificateException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Reads an OpenPGP file of the store (one armored public key ring). */
    static PGPPublicKeyRing readStoredRing(byte[] content) throws IOException {
        try (ArmoredInputStream in = new ArmoredInputStream(new ByteArrayInputStream(content))) {
            return new PGPPublicKeyRing(in, new BcKeyFingerprintCalculator());
        }
    }
}
