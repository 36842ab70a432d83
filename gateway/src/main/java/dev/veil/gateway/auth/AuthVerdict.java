package dev.veil.gateway.auth;

import java.util.List;

/** What sender authentication found for one message: SPF, every DKIM signature, and DMARC over both. */
public record AuthVerdict(SpfEvaluator.Verdict spf, List<DkimChecker.Result> dkim, DmarcEvaluator.Verdict dmarc) {
    public AuthVerdict {
        dkim = List.copyOf(dkim);
    }

    /**
     * True when a DNS answer that could change the outcome did not come: the message is tried again later rather
     * than judged now. A DMARC pass stands however the rest turned out.
     */
    public boolean temporaryError() {
        if (dmarc.result() == DmarcResult.PASS) {
            return false;
        }
        return dmarc.result() == DmarcResult.TEMPERROR || spf.result() == SpfResult.TEMPERROR
                || dkim.stream().anyMatch(r -> r.status() == DkimChecker.Status.TEMPERROR);
    }

    /** What was unreachable, for the queue's last error. */
    public String temporaryErrorReason() {
        if (dmarc.result() == DmarcResult.TEMPERROR) {
            return "DMARC: " + dmarc.reason();
        }
        if (spf.result() == SpfResult.TEMPERROR) {
            return "SPF check of " + spf.identity() + " had a temporary DNS error";
        }
        return dkim.stream().filter(r -> r.status() == DkimChecker.Status.TEMPERROR)
                .map(r -> "DKIM key of " + r.domain() + ": " + r.reason()).findFirst().orElse("");
    }
}
