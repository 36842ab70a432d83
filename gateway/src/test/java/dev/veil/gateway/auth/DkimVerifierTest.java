package dev.veil.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DkimVerifierTest {
    private static final String RECORD = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=partner.example; s=sel1;"
            + " h=from:to:subject; bh=AAAA; b=AAAA";

    /**
     * Found by a black-box probe: a signature without t= (optional in RFC 6376 3.5; Exim leaves it out) failed with
     * a NullPointerException in the clock-drift allowance, so valid mail failed DKIM and with it DMARC.
     */
    @Test
    void aSignatureWithoutATimestampHasNoneAndOneAFewMinutesAheadReadsAsNow() {
        assertThat(new DkimVerifier.DriftTolerantRecord(RECORD).getSignatureTimestamp()).isNull();

        long now = System.currentTimeMillis() / 1000;
        long ahead = new DkimVerifier.DriftTolerantRecord(RECORD + "; t=" + (now + 120)).getSignatureTimestamp();
        assertThat(ahead).isBetween(now, now + 5);
        assertThat(new DkimVerifier.DriftTolerantRecord(RECORD + "; t=" + (now + 3600)).getSignatureTimestamp())
                .isEqualTo(now + 3600);
        assertThat(new DkimVerifier.DriftTolerantRecord(RECORD + "; t=1000").getSignatureTimestamp()).isEqualTo(1000L);
    }

    /**
     * Found by a black-box probe: a key published for another service (RFC 6376 3.6.1 {@code s=}) verified mail, so a
     * domain's key for, say, TLS reports could sign its mail too. Verifiers must ignore such a key.
     */
    @Test
    void aKeyRecordWhoseServicesLeaveOutEmailIsRefused() throws Exception {
        String key = "v=DKIM1; k=rsa; p=" + java.util.Base64.getEncoder().encodeToString(rsaPublicKey());
        for (String service : new String[] {"tlsrpt", "tlsrpt:other", "x"}) {
            assertThatThrownBy(() -> new DkimVerifier.KeyRecord(key + "; s=" + service).validate())
                    .as(service).isInstanceOf(IllegalStateException.class).hasMessageContaining("not for email");
        }
        for (String service : new String[] {"email", "*", "tlsrpt : EMAIL", "other:*"}) {
            assertThatCode(() -> new DkimVerifier.KeyRecord(key + "; s=" + service).validate()).as(service)
                    .doesNotThrowAnyException();
        }
        assertThatCode(() -> new DkimVerifier.KeyRecord(key).validate()).as("no s=").doesNotThrowAnyException();
    }

    private static byte[] rsaPublicKey() throws java.security.GeneralSecurityException {
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair().getPublic().getEncoded();
    }
}
