package dev.veil.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class KeptFieldValuesTest {

    @Test
    void commentsGoFromStructuredFields() {
        assertThat(KeptFieldValues.shown("mime-version", "1.0 (Created by Exchange at mail.partner.example)", false))
                .contains("1.0");
        assertThat(KeptFieldValues.shown("mime-version", "1 . 0", false)).contains("1.0");
        assertThat(KeptFieldValues.shown("importance", "High (set by bob@partner.example)", false)).contains("High");
        assertThat(KeptFieldValues.shown("priority", "(partner.example) urgent", false)).contains("urgent");
        assertThat(KeptFieldValues.shown("sensitivity", "Company-Confidential (partner.example)", false))
                .contains("Company-Confidential");
        assertThat(KeptFieldValues.shown("x-priority", "1 (Highest)", false)).contains("1");
        assertThat(KeptFieldValues.shown("auto-submitted", "auto-replied; owner-email=\"bob@partner.example\"", false))
                .contains("auto-replied");
        assertThat(KeptFieldValues.shown("content-transfer-encoding", "base64 (from mx.partner.example)", false))
                .contains("base64");
        assertThat(KeptFieldValues.shown("content-language", "en-GB, de (partner.example)", false))
                .contains("en-GB, de");
        assertThat(KeptFieldValues.shown("content-type",
                "text/plain (by mail.partner.example); charset=\"utf-8\" (nested (twice) \\) comment)", false))
                .contains("text/plain; charset=\"utf-8\"");
    }

    @Test
    void aValueThatIsNotOfItsKindIsLeftOut() {
        assertThat(KeptFieldValues.shown("importance", "very, ask bob@partner.example", false)).isEmpty();
        assertThat(KeptFieldValues.shown("priority", "urgent please", false)).isEmpty();
        assertThat(KeptFieldValues.shown("mime-version", "1.0 from partner.example", false)).isEmpty();
        assertThat(KeptFieldValues.shown("x-priority", "partner.example", false)).isEmpty();
        assertThat(KeptFieldValues.shown("auto-submitted", "by partner.example", false)).isEmpty();
        assertThat(KeptFieldValues.shown("content-language", "written at partner.example", false)).isEmpty();
        assertThat(KeptFieldValues.shown("thread-index", "partner example", false)).isEmpty();
        assertThat(KeptFieldValues.shown("content-type", "text plain from partner.example", false)).isEmpty();
        assertThat(KeptFieldValues.shown("x-unknown", "1", false)).isEmpty();
    }

    @Test
    void quotedStringsKeepParenthesesAndSemicolons() {
        assertThat(KeptFieldValues.shown("content-disposition", "attachment; filename=\"a (1); b.pdf\"", false))
                .contains("attachment; filename=\"a (1); b.pdf\"");
    }

    @Test
    void anOpaqueBodyShowsOnlyTheParametersThatSayHowToReadIt() {
        assertThat(KeptFieldValues.shown("content-type", "application/pkcs7-mime; smime-type=enveloped-data;"
                + " name=\"smime.p7m\"; x-origin=partner.example", true))
                .contains("application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"");
        assertThat(KeptFieldValues.shown("content-type", "multipart/encrypted; protocol=\"application/pgp-encrypted\";"
                + " boundary=\"b1\"; name=\"for bob at partner.example.asc\"", true))
                .contains("multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b1\"");
        assertThat(KeptFieldValues.shown("content-disposition",
                "attachment; filename*=utf-8''partner.example.p7m; filename=\"smime.p7m\"", true))
                .contains("attachment; filename=\"smime.p7m\"");
        assertThat(KeptFieldValues.shown("content-description", "Contract for partner.example", true)).isEmpty();
        // the right names with values that are not of their kind (found by a black-box probe)
        assertThat(KeptFieldValues.shown("content-type", "application/pkcs7-mime; smime-type=enveloped-data;"
                + " charset=\"carol@partner.example\"; name=\"smime.p7m\"; protocol=\"x@partner.example\";"
                + " micalg=mx.partner.example; boundary=\"b@partner.example\"; start=\"<1@partner.example>\"", true))
                .contains("application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"");
        assertThat(KeptFieldValues.shown("content-type", "multipart/signed; micalg=pgp-sha256; charset=ISO_8859-1:1987",
                true)).contains("multipart/signed; micalg=pgp-sha256; charset=ISO_8859-1:1987");
        assertThat(KeptFieldValues.shown("content-type", "multipart/encrypted; boundary=\"=_a b/c:d?'()+,-.\";"
                + " protocol=\"application/pgp-encrypted\"", true))
                .contains("multipart/encrypted; boundary=\"=_a b/c:d?'()+,-.\"; protocol=\"application/pgp-encrypted\"");
        // a body in clear shows its own names anyway: kept
        assertThat(KeptFieldValues.shown("content-type", "application/pdf; name=\"offer.pdf\"", false))
                .contains("application/pdf; name=\"offer.pdf\"");
        assertThat(KeptFieldValues.shown("content-description", "Offer", false)).contains("Offer");
        // but only the parameters MIME defines, RFC 2231 sections and extended values included
        assertThat(KeptFieldValues.shown("content-type", "text/plain; charset=utf-8; x-sender=\"bob@partner.example\";"
                + " format=flowed; x-mac-creator=4D4F5353", false)).contains("text/plain; charset=utf-8; format=flowed");
        assertThat(KeptFieldValues.shown("content-disposition", "attachment; filename*0*=utf-8''offer; filename*1=.pdf;"
                + " x-origin*=utf-8''partner.example; size=1024", false))
                .contains("attachment; filename*0*=utf-8''offer; filename*1=.pdf; size=1024");
    }

    @Test
    void theSubjectIsShownAsWritten() {
        assertThat(KeptFieldValues.shown("subject", "Re: (partner.example) the plan", true))
                .isEqualTo(Optional.of("Re: (partner.example) the plan"));
        assertThat(KeptFieldValues.shown("thread-topic", "the plan", true)).contains("the plan");
    }
}
