package dev.veil.gateway.smtp;

import java.util.List;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.esmtp.EhloExtension;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailParametersHook;

/**
 * RFC 1870 SIZE: announced in EHLO, checked against MAIL FROM's SIZE= up front. The bytes actually received
 * are counted by the spool file itself, which refuses the whole message past the limit.
 */
final class MessageSizeLimit implements MailParametersHook, EhloExtension {
    private final long maxSize;

    MessageSizeLimit(long maxSize) {
        this.maxSize = maxSize;
    }

    @Override
    public List<String> getImplementedEsmtpFeatures(SMTPSession session) {
        return List.of("SIZE " + maxSize);
    }

    @Override
    public String[] getMailParamNames() {
        return new String[] {"SIZE"};
    }

    @Override
    public HookResult doMailParameter(SMTPSession session, String paramName, String paramValue) {
        long declared;
        try {
            declared = Long.parseLong(paramValue);
        } catch (NumberFormatException e) {
            if (paramValue != null && paramValue.matches("[0-9]{1,20}")) {
                declared = Long.MAX_VALUE; // RFC 1870 allows 20 digits: more than a long holds, and too big all the same
            } else {
                return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("501")
                        .smtpDescription("5.5.4 Syntactically incorrect value for SIZE parameter").build();
            }
        }
        if (declared > maxSize) {
            return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("552")
                    .smtpDescription("5.3.4 Message size exceeds fixed maximum message size of " + maxSize + " octets")
                    .build();
        }
        return null;
    }
}
