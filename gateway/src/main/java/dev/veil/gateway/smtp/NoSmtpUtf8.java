package dev.veil.gateway.smtp;

import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailParametersHook;

/**
 * MAIL FROM with {@code SMTPUTF8} on either listener: the extension is not offered (James cannot parse non-ASCII
 * addresses, and the relay path may not carry them), so a client asking for it hears so at once (RFC 6531 3.4: a
 * server that does not offer it must not accept it) instead of having the parameter silently ignored and its
 * addresses refused one by one.
 */
final class NoSmtpUtf8 implements MailParametersHook {
    @Override
    public String[] getMailParamNames() {
        return new String[] {"SMTPUTF8"};
    }

    @Override
    public HookResult doMailParameter(SMTPSession session, String paramName, String paramValue) {
        return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("555")
                .smtpDescription("5.5.4 SMTPUTF8 is not supported here; send with ASCII addresses (domains as"
                        + " xn-- A-labels)").build();
    }
}
