package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PseudonymiserTest {
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;

    @Test
    void aesSivMatchesRfc5297DeterministicExample() {
        // RFC 5297 appendix A.1
        AesSiv siv = new AesSiv(HEX.parseHex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"));
        byte[] ad = HEX.parseHex("101112131415161718191a1b1c1d1e1f2021222324252627");
        byte[] plaintext = HEX.parseHex("112233445566778899aabbccddee");
        byte[] out = siv.encrypt(plaintext, ad);
        assertThat(HEX.formatHex(out)).isEqualTo("85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c");
        assertThat(siv.decrypt(out, ad)).isEqualTo(plaintext);
        out[20] ^= 1;
        assertThat(siv.decrypt(out, ad)).isNull();
    }

    @Test
    void aesSivMatchesRfc5297NonceBasedExample() {
        // RFC 5297 appendix A.2: several associated data strings (the last one the nonce)
        AesSiv siv = new AesSiv(HEX.parseHex("7f7e7d7c7b7a79787776757473727170404142434445464748494a4b4c4d4e4f"));
        byte[] ad1 = HEX.parseHex("00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100");
        byte[] ad2 = HEX.parseHex("102030405060708090a0");
        byte[] nonce = HEX.parseHex("09f911029d74e35bd84156c5635688c0");
        byte[] plaintext = HEX.parseHex("7468697320697320736f6d6520706c61696e7465787420746f20656e6372797074207573696e67205349562d414553");
        assertThat(HEX.formatHex(siv.encrypt(plaintext, ad1, ad2, nonce))).isEqualTo(
                "7bdb6e3b432667eb06f4d14bff2fbd0fcb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd5c0d");
    }

    @Test
    void base32MatchesRfc4648InLowerCaseWithoutPadding() {
        String[][] vectors = {{"", ""}, {"f", "my"}, {"fo", "mzxq"}, {"foo", "mzxw6"}, {"foob", "mzxw6yq"},
                {"fooba", "mzxw6ytb"}, {"foobar", "mzxw6ytboi"}};
        for (String[] v : vectors) {
            assertThat(Base32.encode(v[0].getBytes(StandardCharsets.US_ASCII))).isEqualTo(v[1]);
            assertThat(Base32.decode(v[1], 0)).isEqualTo(v[0].getBytes(StandardCharsets.US_ASCII));
            assertThat(Base32.decode(v[1].toUpperCase(), 0)).isEqualTo(v[0].getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(Base32.decode("mzxw6ytboj", 0)).as("trailing bits set").isNull();
        assertThat(Base32.decode("mzx", 0)).as("impossible length").isNull();
        assertThat(Base32.decode("mz!w", 0)).isNull();
    }

    @Test
    void tokensAreDeterministicReversibleAndBoundToTheirKind() throws Exception {
        Pseudonymiser p = open();
        String token = p.token("n", "Jürgen Müller");
        assertThat(token).startsWith("n1-").matches("n1-[a-z2-7]+");
        assertThat(p.token("n", "Jürgen Müller")).isEqualTo(token);
        assertThat(p.token("n", "Jurgen Muller")).isNotEqualTo(token);
        assertThat(p.reveal("n", token)).contains("Jürgen Müller");
        assertThat(p.reveal("n", token.toUpperCase().replace("N1-", "n1-"))).as("case-insensitive on the way back")
                .contains("Jürgen Müller");
        assertThat(p.reveal("o", "o" + token.substring(1))).as("another kind's token").isEmpty();
        char last = token.charAt(token.length() - 1);
        assertThat(p.reveal("n", token.substring(0, token.length() - 1) + (last == 'a' ? 'b' : 'a'))).isEmpty();
        assertThat(p.reveal("n", "n1-")).isEmpty();
        assertThat(p.reveal("n", "n9-" + token.substring(3))).as("a version we do not hold").isEmpty();
        assertThat(p.reveal("n", "garbage")).isEmpty();
        assertThatThrownBy(() -> p.token("Name", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keysPersistAreWrappedAndSurviveRotation() throws Exception {
        MasterKey master = MasterKey.generate();
        PseudonymKeys keys = PseudonymKeys.open(dir, master);
        Pseudonymiser v1 = Pseudonymiser.of(keys);
        String token = v1.token("e", "bob@partner.example");
        String alias = v1.alias("bob@partner.example", "alias.example.com");
        assertThat(Pseudonymiser.of(PseudonymKeys.open(dir, master)).token("e", "bob@partner.example"))
                .as("same key files, same pseudonyms").isEqualTo(token);
        assertThatThrownBy(() -> PseudonymKeys.open(dir, MasterKey.generate())).isInstanceOf(KeyException.class)
                .hasMessageContaining("v1.key");

        assertThat(keys.rotate()).isEqualTo(2);
        Pseudonymiser v2 = Pseudonymiser.of(keys);
        assertThat(v2.currentVersion()).isEqualTo(2);
        assertThat(v2.token("e", "bob@partner.example")).startsWith("e2-").isNotEqualTo(token);
        assertThat(v2.alias("bob@partner.example", "alias.example.com")).isNotEqualTo(alias);
        assertThat(v2.reveal("e", token)).as("old versions still reveal").contains("bob@partner.example");
        assertThat(Pseudonymiser.versionOf("e", token)).isEqualTo(1);

        // master key rotation re-wraps the versions; pseudonyms stay the same
        Path masterFile = dir.resolve("master.key");
        MasterKey fileMaster = MasterKey.load(java.util.Map.of(), masterFile, w -> { });
        PseudonymKeys underFile = PseudonymKeys.open(dir.resolve("other"), fileMaster);
        String before = Pseudonymiser.of(underFile).token("e", "bob@partner.example");
        String oldKey = java.nio.file.Files.readString(masterFile);
        assertThat(fileMaster.beginRotation()).isTrue();
        assertThat(underFile.rewrapAll()).isEqualTo(1);
        assertThat(underFile.rewrapAll()).as("already re-wrapped").isZero();
        fileMaster.completeRotation();
        assertThat(java.nio.file.Files.readString(masterFile)).isNotEqualTo(oldKey);
        MasterKey reloaded = MasterKey.load(java.util.Map.of(), masterFile, w -> { });
        assertThat(Pseudonymiser.of(PseudonymKeys.open(dir.resolve("other"), reloaded)).token("e", "bob@partner.example"))
                .isEqualTo(before);
        assertThatThrownBy(() -> PseudonymKeys.open(dir.resolve("other"), MasterKey.fromBase64(oldKey)))
                .isInstanceOf(KeyException.class);
    }

    @Test
    void aliasesAreShortStableAndDistinct() throws Exception {
        Pseudonymiser p = open();
        String alias = p.alias("Bob.Smith@Partner.Example", "Alias.Example.com");
        assertThat(alias).matches("c-[a-z2-7]{20}@alias\\.example\\.com");
        assertThat(p.alias("<bob.smith@partner.example>", "alias.example.com")).as("normalised").isEqualTo(alias);
        String longAddress = "a.very.long.local.part.that.goes.on.and.on.and.on@subdomain.of.a.long.partner.example";
        assertThat(p.aliasLocalPart(longAddress).length()).isLessThanOrEqualTo(64);
        Set<String> aliases = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            aliases.add(p.aliasLocalPart("person" + i + "@partner.example"));
        }
        assertThat(aliases).hasSize(20_000);
        assertThat(p.label("bob@partner.example")).matches("[A-Z2-7]{4}").isEqualTo(p.label("BOB@partner.example"));
    }

    @Test
    void phoneNumbersKeepTheirShapeAndCountry() throws Exception {
        Pseudonymiser p = open();
        String[] numbers = {"+49 30 1234567", "+1 (555) 010-9999", "+44 20 7946 0958", "030/1234567",
                "+353 1 555 0101", "+7 495 123-45-67", "0049 30 1234567"};
        for (String n : numbers) {
            String pseudonym = p.fpeDigits("p", n);
            assertThat(pseudonym).as(n).hasSameSizeAs(n).isNotEqualTo(n)
                    .isEqualTo(p.fpeDigits("p", n));
            assertThat(pseudonym.replaceAll("[0-9]", "9")).isEqualTo(n.replaceAll("[0-9]", "9"));
            assertThat(p.revealFpeDigits("p", pseudonym, 1)).isEqualTo(n);
        }
        assertThat(p.fpeDigits("p", "+49 30 1234567")).startsWith("+49 ");
        assertThat(p.fpeDigits("p", "+1 (555) 010-9999")).startsWith("+1 (");
        assertThat(p.fpeDigits("p", "+353 1 555 0101")).startsWith("+353 ");
        String shortNumber = p.fpeDigits("p", "112");
        assertThat(shortNumber).as("too short to format-preserve securely").startsWith("p1-");
        assertThat(p.revealFpeDigits("p", shortNumber, 1)).isEqualTo("112");
        // words beside the number would pass through FF1 unchanged: such values become tokens, and come back
        for (String worded : new String[] {"0171/1234567 (Mobil Schmidtbauer)", "+49 30 1234567 ext. Hinterhaus",
                "+1 555 010 9999 x42"}) {
            String pseudonym = p.fpeDigits("p", worded);
            assertThat(pseudonym).as(worded).startsWith("p1-").doesNotContain("Mobil").doesNotContain("Hinterhaus");
            assertThat(p.revealFpeDigits("p", pseudonym, 1)).isEqualTo(worded);
        }
    }

    @Test
    void hashesAndEncryption() throws Exception {
        Pseudonymiser p = open();
        assertThat(p.hash("h", "x")).isEqualTo(p.hash("h", "x")).matches("h1-[a-z2-7]{32}").isNotEqualTo(p.hash("h", "y"));
        assertThat(p.hash("h", "x")).isNotEqualTo(p.hash("g", "x").replace("g1", "h1"));
        String sealed = p.encrypt("nt", "a note\nwith lines".getBytes(StandardCharsets.UTF_8));
        assertThat(sealed).startsWith("nt1-").isNotEqualTo(p.encrypt("nt", "a note\nwith lines".getBytes(StandardCharsets.UTF_8)));
        assertThat(p.decrypt("nt", sealed)).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8))
                .isEqualTo("a note\nwith lines"));
        assertThat(p.decrypt("ph", "ph" + sealed.substring(2))).as("bound to its kind").isEmpty();
        assertThat(p.decrypt("nt", sealed.substring(0, sealed.length() - 2) + "AA")).isEmpty();
        assertThat(p.decrypt("nt", "nt1-!!")).isEmpty();
        // with a context: the same value in the same context seals the same way, in another context differently
        byte[] note = "the same note".getBytes(StandardCharsets.UTF_8);
        String inA = p.encrypt("nt", note, "contact-a");
        assertThat(p.encrypt("nt", note, "contact-a")).isEqualTo(inA);
        assertThat(p.encrypt("nt", note, "contact-b")).isNotEqualTo(inA);
        assertThat(p.encrypt("nt", "another note".getBytes(StandardCharsets.UTF_8), "contact-a")).isNotEqualTo(inA);
        assertThat(p.decrypt("nt", inA)).hasValueSatisfying(b -> assertThat(b).isEqualTo(note));
    }

    @Test
    void messageIdsBecomeTokensUnderTheAliasDomain() throws Exception {
        Pseudonymiser p = open();
        String real = "<CAF=abc.123+x@mail.partner.example>";
        String token = p.messageId(real, "alias.example.com");
        assertThat(token).matches("<m1-[a-z2-7]+@alias\\.example\\.com>").doesNotContain("partner");
        assertThat(p.messageId(real, "alias.example.com")).isEqualTo(token);
        assertThat(p.revealMessageId(token)).contains(real);
        assertThat(p.revealMessageId("<m1-aaaa@alias.example.com>")).isEmpty();
        assertThat(p.revealMessageId(real)).isEmpty();
    }

    private Pseudonymiser open() throws KeyException {
        return Pseudonymiser.of(PseudonymKeys.open(dir, MasterKey.generate()));
    }
}
