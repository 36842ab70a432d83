package dev.veil.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.crypto.HeaderBlock;
import dev.veil.gateway.core.QueueId;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class VeilTraceFieldsTest {
    private static final QueueId ID = new QueueId("01M8Z0HS2JAZ9AHHCTX8");

    @Test
    void thisVeilsFieldsShowWithoutTheClientAndTheRecipientOthersNot() {
        String header = "Received: from mail.partner.example ([192.0.2.7])\r\n"
                + "\tby veil.example.com (Veil) with ESMTPS id " + ID + "\r\n"
                + "\tfor <alice@example.com>; Thu, 3 Dec 2026 21:40:05 +0000\r\n"
                + "Received: by veil.example.com (Veil) with ESMTP id 01M8Z0HS2JAZ9AHHCTX7; Thu, 3 Dec 2026 21:40:04 +0000\r\n"
                + "Received: from [192.0.2.9] (HELO x?y)\r\n\tby veil.partner.example (Veil) with ESMTP id"
                + " 01M8Z0HS2JAZ9AHHCTX6; Thu, 3 Dec 2026 21:40:03 +0000\r\n"
                + "Received: from a.example by mx.partner.example with ESMTP id 1; Thu, 3 Dec 2026 21:40:02 +0000\r\n"
                + "From: bob@partner.example\r\n\r\nbody\r\n";
        assertThat(VeilTraceFields.shown(HeaderBlock.parse(header.getBytes(StandardCharsets.US_ASCII)), ID))
                .as("a correspondent's own Veil names its host: it stays inside").containsExactly(
                        "by veil.example.com (Veil) with ESMTPS id " + ID + "; Thu, 3 Dec 2026 21:40:05 +0000",
                        "by veil.example.com (Veil) with ESMTP id 01M8Z0HS2JAZ9AHHCTX7; Thu, 3 Dec 2026 21:40:04 +0000");
    }

    @Test
    void withoutAFieldForThisMessageNothingShows() {
        String header = "Received: by veil.example.com (Veil) with ESMTP id 01M8Z0HS2JAZ9AHHCTX7;"
                + " Thu, 3 Dec 2026 21:40:04 +0000\r\nFrom: bob@partner.example\r\n\r\nbody\r\n";
        assertThat(VeilTraceFields.shown(HeaderBlock.parse(header.getBytes(StandardCharsets.US_ASCII)), ID)).isEmpty();
    }
}
