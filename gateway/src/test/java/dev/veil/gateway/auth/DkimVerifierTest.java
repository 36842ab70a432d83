package dev.veil.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

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
}
