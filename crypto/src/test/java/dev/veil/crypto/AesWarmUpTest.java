package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AesWarmUpTest {
    /** It runs the modes Veil uses without tripping GCM's nonce-reuse guard or the tag check. */
    @Test
    void runsEveryModeItWarmsWithoutAnError() throws Exception {
        assertThat(AesWarmUp.run(300)).isPositive();
    }
}
