package dev.veil.gateway.smtp;

import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HeloHook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;

/**
 * The HELO/EHLO name must be printable ASCII without spaces and at most 255 octets (RFC 5321 4.5.3.1.2, a domain or an
 * address literal): James took a 65,529-byte name and a NUL, echoed them in its reply and kept them in the envelope
 * (found by a black-box probe). Anything else gets {@code 501} and the client may greet again.
 */
final class HeloNameCheck implements HeloHook {
    static final int MAX_LENGTH = 255;

    @Override
    public HookResult doHelo(SMTPSession session, String helo) {
        if (helo == null || acceptable(helo)) {
            return HookResult.DECLINED;
        }
        return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("501")
                .smtpDescription("5.5.2 Invalid HELO/EHLO name: printable ASCII, no spaces, at most " + MAX_LENGTH
                        + " octets").build();
    }

    static boolean acceptable(String helo) {
        return helo.length() <= MAX_LENGTH && helo.chars().allMatch(c -> c > 0x20 && c < 0x7f);
    }
}
