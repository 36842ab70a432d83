package dev.veil.tests.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** Messages, sinks and small helpers for {@link CryptoBenchmark}. */
final class CryptoFixture {
    /** Pre-warm: the encryptions whose output the decryptions use, a small one and then a large one (i % 256 == 255). */
    private static final int KEPT = 8958;
    private static final byte[] CRLF_CRLF = {'\r', '\n', '\r', '\n'};

    private CryptoFixture() {
    }

    /**
     * A realistic MIME message of exactly {@code size} bytes, CRLF line ends throughout: the header fields a mail
     * client writes, a {@code multipart/mixed} body with a short quoted-printable-free text part and a PDF
     * attachment in base64 (76-character lines) that fills the message up to the size. Deterministic (fixed seed),
     * so every fork encrypts the same bytes.
     */
    static byte[] message(int size) {
        String boundary = "----=_Part_4711_1093318725.1718031245123";
        StringBuilder head = new StringBuilder(4096);
        head.append("Return-Path: <alice@partner.example>\r\n")
                .append("Received: from mail.partner.example (mail.partner.example [203.0.113.25])\r\n")
                .append("\tby mx.bench.example (Veil) with ESMTPS id 4VzQk52xZbz9sW\r\n")
                .append("\tfor <bob@bench.example>; Mon, 10 Jun 2024 14:54:05 +0200 (CEST)\r\n")
                .append("Message-ID: <5f1c2a9e-8b7d-4c3e-9a1f-0e6d2b7c4a11@partner.example>\r\n")
                .append("Date: Mon, 10 Jun 2024 14:54:01 +0200\r\n")
                .append("From: Alice Example <alice@partner.example>\r\n")
                .append("To: Bob Bench <bob@bench.example>\r\n")
                .append("Cc: Carol Bench <carol@bench.example>\r\n")
                .append("Subject: Q2 figures and the signed contract (draft 3)\r\n")
                .append("In-Reply-To: <0a7b3c2d-1e4f-4a5b-8c6d-7e8f9a0b1c2d@bench.example>\r\n")
                .append("References: <0a7b3c2d-1e4f-4a5b-8c6d-7e8f9a0b1c2d@bench.example>\r\n")
                .append("User-Agent: Mozilla Thunderbird\r\n")
                .append("MIME-Version: 1.0\r\n")
                .append("Content-Language: en-GB\r\n")
                .append("Content-Type: multipart/mixed;\r\n boundary=\"").append(boundary).append("\"\r\n")
                .append("\r\n")
                .append("This is a multi-part message in MIME format.\r\n")
                .append("--").append(boundary).append("\r\n")
                .append("Content-Type: text/plain; charset=UTF-8; format=flowed\r\n")
                .append("Content-Transfer-Encoding: 7bit\r\n")
                .append("\r\n")
                .append("Hi Bob,\r\n\r\n")
                .append("please find attached the Q2 figures and the contract as signed by our side. The numbers\r\n")
                .append("in section 4 changed after the last call; the rest is as agreed. Could you have it\r\n")
                .append("counter-signed by Friday?\r\n\r\n")
                .append("Kind regards,\r\nAlice\r\n\r\n")
                .append("--").append(boundary).append("\r\n")
                .append("Content-Type: application/pdf; name=\"contract-q2-signed.pdf\"\r\n")
                .append("Content-Disposition: attachment; filename=\"contract-q2-signed.pdf\"\r\n")
                .append("Content-Transfer-Encoding: base64\r\n")
                .append("\r\n");
        byte[] start = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] end = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        int fill = size - start.length - end.length;
        if (fill < 0) {
            throw new IllegalArgumentException("size " + size + " is smaller than the message frame");
        }
        // base64 of random bytes in 76-character lines, the last line cut so the total is exact
        byte[] binary = new byte[fill * 3 / 4 + 3];
        new Random(20240610L).nextBytes(binary);
        byte[] base64 = Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).encode(binary);
        byte[] body = Arrays.copyOf(base64, fill);
        if (fill >= 2 && body[fill - 1] == '\r') { // do not cut between CR and LF
            body[fill - 1] = 'A';
        }
        if (fill >= 2 && body[fill - 2] == '\r' && body[fill - 1] != '\n') {
            body[fill - 2] = 'A';
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        out.writeBytes(start);
        out.writeBytes(body);
        out.writeBytes(end);
        byte[] message = out.toByteArray();
        if (message.length != size) {
            throw new IllegalStateException("message is " + message.length + " bytes, wanted " + size);
        }
        return message;
    }

    /**
     * Runs SunJCE's AES modes that Veil uses (GCM, CBC, CFB; encrypt and decrypt; update and doFinal) often enough on
     * 16 KiB inputs that C2 compiles their callers and the AES/GHASH intrinsics are used, as in a gateway that has been
     * running a while. HotSpot only uses the GCM intrinsic from C2-compiled callers, which needs some thousands of
     * calls: a 1 MB benchmark makes a few hundred in its warm-up, and its raw SunJCE GCM then runs the pure-Java
     * fallback at well under 100 MB/s instead of GB/s (measured on JDK 17.0.15), and whatever path happened to be
     * compiled first wins. Each calling form (doFinal into a buffer, update into a buffer, the array-returning
     * update/doFinal that Bouncy Castle's cipher streams use) is its own compiled path, so all three are run. {@code -Dveil.bench.prewarm=false} (via {@code -jvmArgsAppend}) turns this off.
     */
    static void prewarmSunJceAes() {
        if (!Boolean.parseBoolean(System.getProperty("veil.bench.prewarm", "true"))) {
            return;
        }
        long start = System.nanoTime();
        try {
            SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");
            byte[] small = new byte[16 * 1024];
            byte[] large = new byte[2 * 1024 * 1024 + 1000]; // past SunJCE's 1 MiB split, so that branch is profiled too
            byte[] out = new byte[large.length + 64];
            byte[] iv = new byte[16];
            String[] transformations = {"AES/GCM/NoPadding", "AES/CBC/PKCS5Padding", "AES/CFB/NoPadding"};
            for (String transformation : transformations) {
                Cipher cipher = Cipher.getInstance(transformation, "SunJCE");
                boolean gcm = transformation.contains("GCM");
                byte[][] ciphertexts = new byte[2][];
                for (int mode : new int[] {Cipher.ENCRYPT_MODE, Cipher.DECRYPT_MODE}) {
                    for (int i = 0; i < 9000; i++) {
                        int which = i % 256 == 255 ? 1 : 0;
                        // encryption: a new IV each time (GCM refuses a key and IV used before); decryption: the IV the
                        // kept ciphertext was made with
                        int ivFrom = mode == Cipher.ENCRYPT_MODE ? i : KEPT + which;
                        iv[0] = (byte) ivFrom;
                        iv[1] = (byte) (ivFrom >>> 8);
                        cipher.init(mode, key, gcm ? new GCMParameterSpec(128, iv, 0, 12) : new IvParameterSpec(iv));
                        byte[] input = mode == Cipher.ENCRYPT_MODE ? (which == 1 ? large : small) : ciphertexts[which];
                        int n;
                        int half = input.length / 2;
                        switch (i % 3) {
                            case 0 -> n = cipher.doFinal(input, 0, input.length, out, 0);
                            case 1 -> {
                                n = cipher.update(input, 0, half, out, 0);
                                n += cipher.doFinal(input, half, input.length - half, out, n);
                            }
                            default -> { // the array-returning forms Bouncy Castle's cipher streams call
                                byte[] first = cipher.update(input, 0, half);
                                byte[] last = cipher.doFinal(input, half, input.length - half);
                                int f = first == null ? 0 : first.length;
                                if (f > 0) {
                                    System.arraycopy(first, 0, out, 0, f);
                                }
                                System.arraycopy(last, 0, out, f, last.length);
                                n = f + last.length;
                            }
                        }
                        if (mode == Cipher.ENCRYPT_MODE && (i == KEPT || i == KEPT + 1)) {
                            ciphertexts[i - KEPT] = Arrays.copyOf(out, n);
                        }
                    }
                }
            }
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("pre-warming SunJCE AES failed: " + e.getMessage(), e);
        }
        System.out.printf("%n[setup] pre-warmed SunJCE AES (GCM, CBC, CFB) in %d ms%n",
                (System.nanoTime() - start) / 1_000_000);
    }

    /** The body of a single-part message (after the blank line), base64-decoded: the DER CMS of an S/MIME message. */
    static byte[] smimeDer(byte[] smimeMessage) {
        int at = indexOf(smimeMessage, CRLF_CRLF);
        if (at < 0) {
            throw new IllegalArgumentException("no end of header in the S/MIME message");
        }
        return Base64.getMimeDecoder().decode(Arrays.copyOfRange(smimeMessage, at + 4, smimeMessage.length));
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Counts and discards: the cheapest possible destination, so the figures are the sealer's/opener's own. */
    static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            count += length;
        }

        long reset() {
            long n = count;
            count = 0;
            return n;
        }
    }

    /** Keeps the bytes: for sealing the inputs of the open benchmarks and checking round trips in set-up. */
    static byte[] collect(IoConsumer<OutputStream> writer) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.accept(out);
        return out.toByteArray();
    }

    @FunctionalInterface
    interface IoConsumer<T> {
        void accept(T value) throws Exception;
    }
}
